"""Source of notebooks/06_architectures.ipynb (architectures A1-A8: layers, the pattern,
LeNet-5 trained on digits, AlexNet, VGG, GoogLeNet, ResNet, gradients through skip
connections)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nbbuild import Notebook  # noqa: E402

nb = Notebook("nb06")
OPTIONAL = "para-saber-mas"  # the tag of the optional cells («Para saber más»)


def optional(first):
    """Tag the cells from index ``first`` to the last one written as optional: they are not
    graded and no later cell needs them, so a class can skip them."""
    for cell in nb.cells[first:]:
        cell.metadata["tags"] = [OPTIONAL]


nb.md(
    r"""
    # Cuaderno 6 — Arquitecturas de CNN

    **Objetivos.** Al terminar este cuaderno sabrás:

    1. qué capas componen una CNN (CONV, POOL, ReLU y FC) y cómo se encadenan con las capas de
       `cnncourse.layers`;
    2. cuál es el patrón más común de las arquitecturas CNN y construir cualquiera de sus
       instancias a partir de tres números, $N$, $M$ y $K$;
    3. calcular a mano las formas y los parámetros de **LeNet-5** (y, si hay tiempo,
       entrenarla con dígitos escritos a mano y mirar qué han aprendido sus filtros);
    4. qué cambió de LeNet-5 a **AlexNet** y de AlexNet a **VGG** (y, si hay tiempo, comparar
       la profundidad, los parámetros y las operaciones de doce arquitecturas clásicas);
    5. cómo es un bloque *inception* de **GoogLeNet** y por qué sus convoluciones $1 \times 1$
       lo abaratan;
    6. programar el bloque residual de **ResNet** y ver por qué las *skip connections*
       permiten entrenar redes muy profundas;
    7. (si hay tiempo) por qué las versiones de las bibliotecas no siempre coinciden con los
       artículos.

    Los ejercicios calificados están marcados con ✏️. Escribe tu código donde pone
    `# ESCRIBE AQUÍ TU CÓDIGO` (borra la línea `raise NotImplementedError()` que lo acompaña)
    y ejecuta la celda de comprobación que va justo después: te dice si vas bien y, si no,
    qué error típico parece que has cometido. Al calificar se ejecutan además comprobaciones
    ocultas con otros tamaños y casos límite; las reglas de cada enunciado (qué devolver, qué
    no usar) ya las comprueba la celda de comprobación.

    Las secciones marcadas **Para saber más** (el entrenamiento de LeNet-5, el experimento
    de los gradientes de ResNet y las secciones 9 y 10, antes del resumen) son opcionales: no
    se califican y ninguna celda posterior las necesita, así que se pueden saltar y seguir en
    la sección siguiente sin perder nada.
    """,
    grade_id="nb06-md-goals",
)

nb.code(
    """
    # Preparación: ejecuta esta celda primero.
    import matplotlib.pyplot as plt
    import numpy as np

    import cnncourse
    import cnncourse._grading as checks  # pistas de las comprobaciones (no lo modifiques)
    from cnncourse import architectures, data, plotting, training
    from cnncourse.arithmetic import Geometry, draw_arithmetic
    from cnncourse.datasets import load_digits
    from cnncourse.layers import (
        AvgPool2D,
        Conv2D,
        Dense,
        Flatten,
        Inception,
        Layer,
        MaxPool2D,
        ReLU,
        ResidualBlock,
        Sequential,
    )
    from cnncourse.widgets import conv_arithmetic_explorer

    np.set_printoptions(precision=3, suppress=True)
    rng = np.random.default_rng(0)
    X_train, y_train, X_test, y_test = load_digits()  # dígitos escritos a mano, (N, 1, 32, 32)
    cnncourse.load_kernels()  # espera a las funciones compiladas (un segundo)


    def spaced(n):
        return f"{n:_}".replace("_", " ")  # 61706 -> "61 706"
    """,
    locked=True,
    grade_id="nb06-setup",
)

# --------------------------------------------------------------------------------------
# 1. Layers (A1)
# --------------------------------------------------------------------------------------
nb.md(
    r"""
    ## 1. Las capas de una CNN

    > Además de las ya vistas capas convolucionales (CONV), y de pooling (POOL), una CNN
    > también está compuesta por rectificadores lineales (ReLU) y capas totalmente conectadas
    > (FC).

    Cada tipo de capa es una clase de `cnncourse.layers` (con los nombres de PyTorch, que es lo
    que usarás después). Todas reciben un **lote** de $N$ imágenes a la vez, un array de forma
    `(N, C, H, W)`: el orden de NumPy de la tabla de notación del cuaderno 2 (el tema escribe
    $C \times W \times H$), con el lote delante.

    | capa | en `cnncourse.layers` | qué hace | parámetros |
    |---|---|---|---|
    | CONV | `Conv2D(C, D, k, stride, padding)` | $D$ filtros `(C, k, k)`: `(N, C, H, W)` → `(N, D, Ho, Wo)` | $D \cdot (C \cdot k \cdot k + 1)$ (cuaderno 4) |
    | POOL | `MaxPool2D(k)`, `AvgPool2D(k)` | una ventana por canal: `(N, C, H, W)` → `(N, C, Ho, Wo)` | ninguno (cuaderno 5) |
    | ReLU | `ReLU()` | $\mathrm{ReLU}(x) = \max(0, x)$, elemento a elemento | ninguno |
    | FC | `Dense(entradas, salidas)` | $\mathbf{o} = W \mathbf{x} + \mathbf{b}$: cada salida ve todas las entradas | $\text{salidas} \cdot (\text{entradas} + 1)$ (cuaderno 1) |

    * La **ReLU** (*rectified linear unit*, rectificador lineal) deja pasar los valores
      positivos y convierte en 0 los negativos. Es la **función de activación**: sin ella, una
      pila de convoluciones y capas FC sería una sola función lineal
      ($W_2 (W_1 \mathbf{x} + \mathbf{b}_1) + \mathbf{b}_2 = (W_2 W_1)\mathbf{x} + \dots$) y
      apilar capas no serviría de nada.
    * Una **FC** recibe vectores. Entre la última capa convolucional y la primera FC hay que
      aplanar el volumen: `Flatten()` convierte `(N, C, H, W)` en `(N, C·H·W)`. El tema no lo
      menciona: no tiene parámetros ni calcula nada, solo cambia la forma.

    Una pasada por las cuatro capas con un dígito escrito a mano. Para que sus mapas de
    características se puedan interpretar, ponemos a mano los pesos de la convolución: el
    kernel Sobel $x$ del cuaderno 2 y su opuesto, y el Sobel $y$ y su opuesto (en una red de
    verdad se aprenden). La FC tiene pesos aleatorios: solo nos interesan las formas.
    """,  # noqa: E501 - markdown table rows cannot wrap
    concepts=["A1"],
)

nb.code(
    """
    digit = X_train[:1]  # un lote con una imagen: (1, 1, 32, 32)
    sobel_x, sobel_y = data.kernels_2d()["Sobel x"], data.kernels_2d()["Sobel y"]
    conv = Conv2D(1, 4, 3)  # 4 filtros 3 x 3 sobre 1 canal
    conv.params["weight"][:, 0] = np.stack([sobel_x, -sobel_x, sobel_y, -sobel_y])
    net = Sequential(conv, ReLU(), MaxPool2D(2), Flatten(), Dense(4 * 15 * 15, 10))

    print(f"{'capa':<10}{'forma de la salida':<22}{'parámetros':>11}")
    a = digit
    outputs = {}
    for layer in net:
        a = layer(a)
        outputs[type(layer).__name__] = a
        print(f"{type(layer).__name__:<10}{str(a.shape):<22}{spaced(layer.count_params()):>11}")

    names = ["Sobel x", "−Sobel x", "Sobel y", "−Sobel y"]
    plotting.show_images({"dígito": digit[0, 0]}, size=2.4)
    plotting.show_images(list(outputs["Conv2D"][0]), [f"CONV: {n}" for n in names], size=2.4)
    plotting.show_images(list(outputs["ReLU"][0]), [f"ReLU: {n}" for n in names], size=2.4)
    plotting.show_images(list(outputs["MaxPool2D"][0]), [f"POOL: {n}" for n in names], size=2.4);
    """,
    concepts=["A1"],
)

nb.md(
    r"""
    Tras la CONV cada mapa tiene valores positivos donde, en la dirección del filtro, empieza
    el trazo (de fondo a tinta) y negativos donde acaba. La ReLU se queda solo con los
    positivos: el mapa de Sobel $x$ marca los bordes izquierdos del trazo y el de
    $-$Sobel $x$, los derechos. El POOL reduce cada mapa a la mitad de alto y de ancho, el
    Flatten lo pone todo en fila ($4 \cdot 15 \cdot 15 = 900$ valores) y la FC da 10 números,
    uno por dígito: las puntuaciones de cada clase. De los $9\,050$ parámetros, $9\,010$ son
    de la FC y solo 40 de la CONV.
    """,
    concepts=["A1"],
)

# --------------------------------------------------------------------------------------
# 2. The pattern (A2) and exercise 1
# --------------------------------------------------------------------------------------
nb.md(
    r"""
    ## 2. El patrón de las arquitecturas CNN

    > La arquitectura CNN más común sigue este patrón:

    $$\mathtt{INPUT} \to [[\mathtt{CONV} \to \mathtt{ReLU}] * \mathcal{N} \to \mathtt{POOL?}] * \mathcal{M} \to [\mathtt{FC} \to \mathtt{ReLU}] * \mathcal{K} \to \mathtt{FC}$$

    > Donde:
    >
    > - \* indica repetición.
    > - POOL? indica una capa de pooling opcional.
    > - $N \ge 0$ (y normalmente $N \le 3$), $M \ge 0$, $K \ge 0$ (y típicamente $K < 3$).
    > - La última capa FC contiene la salida del modelo (p.ej. las probabilidades de cada
    >   clase).

    Se lee de dentro hacia fuera: un **grupo** son $N$ parejas CONV → ReLU seguidas (o no) de un
    POOL; hay $M$ grupos; después, $K$ parejas FC → ReLU y una última FC. Esa última FC va
    **sin ReLU**: da un número por clase (las puntuaciones o *logits*), y la función *softmax*
    los convierte en las probabilidades de las que habla el tema,
    $p_k = e^{z_k} / \sum_j e^{z_j}$. Entre el último grupo y la primera FC va el `Flatten`,
    aunque el patrón no lo escriba. Y con $M = 0$ no hay ningún grupo, ni CONV ni POOL, aunque
    $N > 0$: $[\dots] * 0$ no repite nada.

    Para escribir las redes en la notación del tema usaremos esta función, que lee las
    capas de un `Sequential` (también si tiene otros `Sequential` dentro):
    """,  # noqa: E501 - a display formula stays on one line
    concepts=["A2"],
)

nb.code(
    '''
    LECTURE_NAMES = {
        Conv2D: "CONV",
        ReLU: "ReLU",
        MaxPool2D: "POOL",
        AvgPool2D: "POOL",
        Flatten: "FLATTEN",
        Dense: "FC",
    }


    def leaves(model):
        """Las capas de un Sequential, una a una (abre los Sequential que tenga dentro)."""
        for layer in model:
            yield from leaves(layer) if isinstance(layer, Sequential) else [layer]


    def notation(model):
        """'INPUT → CONV → ReLU → ... → FC': un Sequential en la notación del tema."""
        return " → ".join(
            ["INPUT"]
            + [LECTURE_NAMES.get(type(layer), type(layer).__name__) for layer in leaves(model)]
        )


    print(notation(net))
    ''',
    concepts=["A2"],
)

nb.md(
    r"""
    ✏️ **Ejercicio 1 (3 puntos).** Escribe
    `build_pattern(in_shape, N, M, K, pool=True, channels=8, hidden=32, num_classes=10)`: un
    `Sequential` que siga el patrón para imágenes de forma `in_shape = (C, H, W)`, con estas
    capas:

    * cada CONV es `Conv2D(c_in, channels, 3, padding=1)`: 3 × 3 con padding 1, así que no
      cambia el alto ni el ancho; `c_in` son los canales que le llegan (los $C$ de la imagen
      en la primera);
    * con `pool=True` cada grupo termina en `MaxPool2D(2)`, que divide el alto y el ancho
      entre 2 (redondeando hacia abajo); con `pool=False` no hay POOL;
    * con $N = 0$ cada grupo es solo un POOL y los canales siguen siendo $C$; con $M = 0$ no
      hay ningún grupo;
    * después de los grupos, `Flatten()`;
    * cada FC oculta es `Dense(entradas, hidden)` seguida de `ReLU()`, y la última es
      `Dense(entradas, num_classes)`, sin ReLU.

    Para saber cuántas entradas tiene la primera FC, cuenta los canales y el tamaño que salen
    del último grupo o pregúntaselo a lo que llevas construido:
    `Sequential(*capas).output_shape(in_shape)` devuelve una **tupla**, la forma de la salida
    de una imagen (sin el eje del lote); tras el `Flatten` es `(entradas,)`. `Dense` necesita
    el número, un `int`: `Sequential(*capas).output_shape(in_shape)[0]`. Usa los valores por
    defecto de `Conv2D` y `Dense` (con sesgo).

    Devuelve el `Sequential` (no una lista de capas): con un lote de forma
    `(lote, C, H, W)`, la red da `(lote, num_classes)`. La celda de comprobación, como las
    comprobaciones ocultas, usa imágenes no cuadradas, casos con $N$, $M$ o $K$ iguales a 0,
    `pool=False` y otros valores de `channels`, `hidden` y `num_classes`, y llama a la función
    con los argumentos en el orden de arriba (`pool` es el quinto).
    """,
    concepts=["A2"],
)

nb.solution(
    '''
    def build_pattern(in_shape, N, M, K, pool=True, channels=8, hidden=32, num_classes=10):
        """INPUT -> [[CONV -> ReLU]*N -> POOL?]*M -> [FC -> ReLU]*K -> FC, en un Sequential."""
        ### BEGIN SOLUTION
        layers = []
        c_in = in_shape[0]
        for _ in range(M):
            for _ in range(N):
                layers += [Conv2D(c_in, channels, 3, padding=1), ReLU()]
                c_in = channels
            if pool:
                layers.append(MaxPool2D(2))
        layers.append(Flatten())
        features = Sequential(*layers).output_shape(in_shape)[0]
        for _ in range(K):
            layers += [Dense(features, hidden), ReLU()]
            features = hidden
        layers.append(Dense(features, num_classes))
        return Sequential(*layers)
        ### END SOLUTION
    ''',
    grade_id="build_pattern",
    concepts=["A2"],
)

nb.tests(
    r'''
    """Comprueba build_pattern con N = 3, M = 2, K = 1, con casos extremos y otros valores."""
    with checks.exercise(globals(), "build_pattern"):
        cases = [  # (in_shape, N, M, K, pool, channels, hidden, num_classes)
            ((1, 13, 10), 3, 2, 1, True, 5, 7, 4),
            ((3, 12, 9), 0, 2, 1, True, 4, 6, 5),  # N = 0: cada grupo es solo un POOL
            ((2, 7, 8), 3, 0, 2, True, 6, 5, 3),  # M = 0: ningún grupo, ni CONV ni POOL
            ((3, 6, 5), 1, 1, 0, False, 4, 9, 2),  # sin POOL
        ]
        nets = []
        for in_shape, N, M, K, pool, channels, hidden, num_classes in cases:
            kwargs = dict(channels=channels, hidden=hidden, num_classes=num_classes)
            try:
                net = build_pattern(in_shape, N, M, K, pool, **kwargs)
            except (TypeError, ValueError) as err:
                raise AssertionError(
                    checks.explain_pattern_error(err, in_shape, N, M, K, pool, **kwargs)
                ) from err
            hint = checks.explain_pattern(net, in_shape, N, M, K, pool, **kwargs)
            assert not hint, hint
            out = net(np.zeros((2, *in_shape), dtype=np.float32))
            assert isinstance(out, np.ndarray) and out.shape == (2, num_classes), (
                f"Para un lote de 2 imágenes la salida debe tener forma (2, {num_classes}): una "
                f"fila de num_classes puntuaciones por imagen; es "
                f"{getattr(out, 'shape', type(out).__name__)}."
            )
            nets.append(net)
        linear = build_pattern((1, 9, 7), N=0, M=0, K=0)  # con los valores por defecto
        hint = checks.explain_pattern(linear, (1, 9, 7), 0, 0, 0)
        assert not hint, (
            "Con los valores por defecto (channels=8, hidden=32, num_classes=10): " + hint
        )
        print("¡Bien!", notation(nets[0]))
    ### BEGIN HIDDEN TESTS
    import cnncourse._grading as _grading

    _grading.trusted(globals()).hidden_build_pattern(build_pattern, globals())
    ### END HIDDEN TESTS
    ''',
    grade_id="test_build_pattern",
    points=3,
)

# --------------------------------------------------------------------------------------
# 3. The five instances (A3)
# --------------------------------------------------------------------------------------
nb.md(
    r"""
    ## 3. Cinco instancias del patrón

    > Algunas de las arquitecturas típicas que siguen este patrón:
    >
    > - $\mathtt{INPUT} \to \mathtt{FC}$, básicamente un modelo lineal ($N = M = K = 0$).
    > - $\mathtt{INPUT} \to [\mathtt{FC} \to \mathtt{ReLU}] * K \to \mathtt{FC}$, es decir, un
    >   *K-layer MLP* [un MLP de $K$ capas ocultas].
    > - $\mathtt{INPUT} \to \mathtt{CONV} \to \mathtt{ReLU} \to \mathtt{FC}$.
    > - $\mathtt{INPUT} \to [\mathtt{CONV} \to \mathtt{ReLU} \to \mathtt{POOL}] * 2 \to
    >   \mathtt{FC} \to \mathtt{ReLU} \to \mathtt{FC}$.
    > - $\mathtt{INPUT} \to [[\mathtt{CONV} \to \mathtt{ReLU}] * 2 \to \mathtt{POOL}] * 3 \to
    >   [\mathtt{FC} \to \mathtt{ReLU}] * 2 \to \mathtt{FC}$.

    (Un *MLP*, *multilayer perceptron* o perceptrón multicapa, es una red de capas FC. El tema
    deja el nombre en inglés: *K-layer* es «de $K$ capas», y cuenta las ocultas; con la de
    salida, la red de la segunda línea tiene $K + 1$ capas FC.) Las construimos con tu
    `build_pattern` para los dígitos de $1 \times 32 \times 32$ y contamos sus parámetros y sus
    multiplicaciones por imagen (`macs`, *multiply-accumulate*: una multiplicación y una suma
    por cada peso y posición, $D \cdot H_o \cdot W_o \cdot C \cdot h \cdot w$ en una CONV y
    entradas · salidas en una FC).
    """,
    concepts=["A3"],
)

nb.code(
    r"""
    instances = {
        "modelo lineal": dict(N=0, M=0, K=0),
        "MLP, K = 2": dict(N=0, M=0, K=2),
        "CONV → ReLU → FC": dict(N=1, M=1, K=0, pool=False),
        "[CONV → ReLU → POOL]*2 → FC → ReLU → FC": dict(N=1, M=2, K=1),
        "[[CONV → ReLU]*2 → POOL]*3 → [FC → ReLU]*2 → FC": dict(N=2, M=3, K=2),
    }
    shape = (1, 32, 32)
    models = {}
    for title, nmk in instances.items():
        models[title] = model = build_pattern(shape, **nmk)
        print(title, f"({', '.join(f'{k} = {v}' for k, v in nmk.items())})")
        print("   ", notation(model))
        print(
            f"    {spaced(model.count_params())} parámetros, {spaced(model.macs(shape))} "
            f"multiplicaciones por imagen; salida {model.output_shape(shape)}\n"
        )
    """,
    concepts=["A3"],
)

nb.md(
    r"""
    Fíjate en dónde están los parámetros. La tercera red, sin POOL, es la más grande: su FC
    recibe los $8 \cdot 32 \cdot 32 = 8\,192$ valores de los mapas y tiene
    $10 \cdot 8\,193 = 81\,930$ parámetros, más que todo lo demás junto. Cada POOL divide entre
    4 la entrada de la FC; con tres grupos, la FC de la última red recibe solo
    $8 \cdot 4 \cdot 4 = 128$ valores. Las CONV, en cambio, tienen pocos parámetros (sus pesos
    se comparten en todas las posiciones), pero cada peso se usa en todas ellas: en la última
    red, con 6 CONV, hacen casi todas las multiplicaciones. Lo veremos a lo grande con VGG.

    La cuarta instancia es, casi, **LeNet-5**.
    """,
    concepts=["A3"],
)

# --------------------------------------------------------------------------------------
# 4. LeNet-5 (A4), exercise 2 and training
# --------------------------------------------------------------------------------------
nb.md(
    r"""
    ## 4. LeNet-5

    > LeNet-5 (LeCun et al, 1998)
    >
    > Compuesta de dos capas CONV + POOL, seguidas por un bloque de capas fully-connected.

    Sus capas, en la notación del artículo (C: convolución, S: *subsampling*, el pooling;
    F: totalmente conectada):

    | capa | qué hace |
    |---|---|
    | entrada | imagen en gris de $32 \times 32$ |
    | C1 | 6 filtros $5 \times 5$, sin padding, y ReLU |
    | S2 | pooling $2 \times 2$, stride 2 |
    | C3 | 16 filtros $5 \times 5$ sobre los 6 mapas de S2, y ReLU |
    | S4 | pooling $2 \times 2$, stride 2 |
    | C5 | 120 filtros $5 \times 5$, y ReLU |
    | F6 | FC de 84 neuronas (sobre C5 aplanada), y ReLU |
    | OUTPUT | FC de 10 salidas, una por dígito |

    C5 es una convolución $5 \times 5$ sobre mapas de $5 \times 5$: cada filtro cabe una sola
    vez y da un solo número, así que C5 hace lo mismo que una FC de $16 \cdot 5 \cdot 5 = 400$
    entradas y 120 salidas. Por eso el tema cuenta C5, F6 y OUTPUT como el bloque de capas
    *fully-connected*. La LeNet-5 de `cnncourse.architectures.lenet5` es una versión actual
    de la red: ReLU en vez de la tangente hiperbólica escalada del artículo (la activación de
    las redes actuales, como en el cuaderno 5), *average pooling* sin parámetros en S2 y S4
    (el más cercano al *subsampling* del artículo, que era una media escalada; en el cuaderno
    5 usamos el máximo, el más habitual hoy: las formas son las mismas), C3 conectada a los 6
    mapas (el artículo usaba una tabla de conexiones parcial) y una FC de salida (el artículo
    usaba unidades de base radial).

    Cada forma sale de la fórmula del cuaderno 4. La de C1, con los números:
    """,
    concepts=["A4"],
)

nb.code(
    """
    g = Geometry(32, 5)  # C1: entrada 32 x 32, kernel 5 x 5, sin padding, stride 1
    print(g.formula_es())
    print(g.message_es)
    """,
    concepts=["A4"],
)

nb.md(
    r"""
    ✏️ **Ejercicio 2 (2 puntos).** Escribe `lenet5_table(input_size=32, num_classes=10)`: la
    LeNet-5 de la tabla sobre imágenes de `(1, input_size, input_size)` con `num_classes`
    salidas, calculada a mano. Devuelve un diccionario (`dict`) con las claves `"C1"`, `"S2"`,
    `"C3"`, `"S4"`, `"C5"`, `"F6"` y `"OUTPUT"`, y como valor de cada una la tupla
    `(forma de la salida, número de parámetros)`:

    * la forma es una tupla de enteros: `(C, H, W)` en las capas CONV y POOL (también en C5,
      que es una convolución aunque con `input_size=32` dé mapas de $1 \times 1$), y
      `(salidas,)` en las FC;
    * el número de parámetros es un entero (`int`, no `float`: si divides, con `//`); una CONV
      tiene $D \cdot (C \cdot h \cdot w + 1)$ (pesos y sesgos), una FC
      $\text{salidas} \cdot (\text{entradas} + 1)$ y un POOL, 0;
    * F6 recibe la salida de C5 aplanada: $120 \cdot H_o \cdot W_o$ valores (con
      `input_size=32`, $120 \cdot 1 \cdot 1$);
    * con tamaños impares el pooling redondea hacia abajo (33 → C1 29 → S2 14);
    * si la imagen es tan pequeña que alguna capa ya no cabe, esa red no existe: lanza un
      `ValueError` (`raise ValueError("...")`). Pasa con cualquier `input_size` menor que 32:
      con 28, por ejemplo, S4 da mapas de $4 \times 4$ y el filtro $5 \times 5$ de C5 no cabe.

    Por ejemplo, `lenet5_table()["C1"]` es `((6, 28, 28), 156)`. Calcúlalo con las fórmulas:
    no construyas capas (`Conv2D`, `Dense`, `Model`) ni uses los modelos de la biblioteca
    (`architectures.lenet5`, `BUILDERS`, `compare`) ni sus métodos `output_shape`,
    `count_params`, `macs`, `profile` o `summary`. La celda de comprobación lo comprueba y
    prueba, como las comprobaciones ocultas, otros valores de `input_size` y `num_classes`.
    """,
    concepts=["A4"],
)

nb.solution(
    '''
    def lenet5_table(input_size=32, num_classes=10):
        """{'C1': ((6, 28, 28), 156), ...}: formas de salida y parámetros de LeNet-5, a mano."""

        ### BEGIN SOLUTION
        def conv(n, k=5):
            return n - k + 1

        def pool(n):
            return (n - 2) // 2 + 1

        n1 = conv(input_size)
        n2 = pool(n1)
        n3 = conv(n2)
        n4 = pool(n3)
        n5 = conv(n4)
        if n5 < 1:  # los tamaños solo bajan: si C5 cabe, caben todas las capas anteriores
            raise ValueError(f"input_size={input_size}: C5 no cabe (S4 da {n4} x {n4})")
        return {
            "C1": ((6, n1, n1), 6 * (1 * 5 * 5 + 1)),
            "S2": ((6, n2, n2), 0),
            "C3": ((16, n3, n3), 16 * (6 * 5 * 5 + 1)),
            "S4": ((16, n4, n4), 0),
            "C5": ((120, n5, n5), 120 * (16 * 5 * 5 + 1)),
            "F6": ((84,), 84 * (120 * n5 * n5 + 1)),
            "OUTPUT": ((num_classes,), num_classes * (84 + 1)),
        }
        ### END SOLUTION
    ''',
    grade_id="lenet5_table",
    concepts=["A4"],
)

nb.tests(
    '''
    """Comprueba lenet5_table con la biblioteca (1 × 32 × 32), otros tamaños y uno que no cabe."""
    with checks.exercise(globals(), "lenet5_table"):
        hint = checks.explain_lenet_rules(lenet5_table)
        assert not hint, hint
        table = lenet5_table()
        hint = checks.explain_lenet_table(table, 32, 10)
        assert not hint, hint
        library = {row.name: row for row in architectures.lenet5().profile()}
        for key, name in {
            "C1": "conv1",
            "S2": "pool1",
            "C3": "conv2",
            "S4": "pool2",
            "C5": "conv3",
            "F6": "fc1",
            "OUTPUT": "fc2",
        }.items():
            expected = (library[name].output_shape, library[name].params)
            assert table[key] == expected, f"{key}: la biblioteca da {expected}; tú, {table[key]}."
        for input_size, num_classes in ((41, 4), (33, 2)):
            got = lenet5_table(input_size, num_classes)
            hint = checks.explain_lenet_table(got, input_size, num_classes)
            assert not hint, f"Con input_size={input_size} y num_classes={num_classes}: {hint}"
        for input_size in (28, 20):  # C5 ya no cabe
            hint = checks.explain_lenet_too_small(lenet5_table, input_size)
            assert not hint, hint
        total = sum(params for _, params in table.values())
        print(f"¡Bien! LeNet-5 tiene {spaced(total)} parámetros.")
    ### BEGIN HIDDEN TESTS
    import cnncourse._grading as _grading

    _grading.trusted(globals()).hidden_lenet_table(lenet5_table, globals())
    ### END HIDDEN TESTS
    ''',
    grade_id="test_lenet5_table",
    points=2,
)

nb.md(
    r"""
    La biblioteca da la misma tabla, con las ReLU y el `Flatten` como filas aparte y una
    columna más: las multiplicaciones por imagen. Casi todos los parámetros están en el bloque
    FC (C5, F6, OUTPUT: $59\,134$ de $61\,706$), y casi todas las multiplicaciones, en C1 y C3.

    El artículo de 1998 habla de $60\,000$ parámetros entrenables, no de $61\,706$: cuenta su
    red original, y las diferencias con esta versión actual suman justo lo que falta. C3
    conectada a los 6 mapas añade 900 ($2\,416$ en vez de $1\,516$); la FC de salida, 850 (las
    unidades de base radial del artículo tenían pesos fijos, que no se entrenaban), y el
    pooling sin nada que aprender quita 44 (en el artículo, S2 y S4 tenían un coeficiente y un
    sesgo por mapa: $2 \cdot 6 + 2 \cdot 16$). En total,
    $60\,000 + 900 + 850 - 44 = 61\,706$.
    """,
    concepts=["A4"],
)

nb.code(
    """
    lenet = architectures.lenet5()
    print(lenet.summary(thousands=" ", lang="es"))  # 61 706: miles con espacios, en español
    """,
    concepts=["A4"],
)

first_optional = len(nb.cells)
nb.md(
    r"""
    ### Para saber más: entrenar LeNet-5 con dígitos escritos a mano

    *Opcional: esta parte y la siguiente («¿Qué ha aprendido?») no se califican, y ninguna
    celda posterior usa lo que calculan. Para seguir con la parte calificada, salta a la
    sección 5 (AlexNet).*

    LeNet-5 se diseñó para leer dígitos escritos a mano (códigos postales y cheques). Vamos a
    entrenarla con el conjunto de dígitos que trae scikit-learn: $1\,797$ imágenes de
    $8 \times 8$ píxeles escritas por **13 personas**. Es la parte de prueba del conjunto
    *optdigits* de UCI, que reunió dígitos de 43 personas y los repartió en dos partes sin
    personas en común: 30 para entrenar y 13 para probar. `cnncourse.datasets.load_digits`
    escala las imágenes a $32 \times 32$ con valores en $[0, 1]$ y las divide al azar en
    $1\,438$ imágenes de entrenamiento y $359$ de prueba (las mismas proporciones de cada
    dígito en las dos partes). La red no aprende de las de prueba: sirven para medir si ha
    aprendido a generalizar o solo a recordar (en las curvas aparecen como «validación»).

    Un aviso al leer el resultado: al dividir al azar, la letra de las mismas 13 personas está
    en las dos partes. La red se examina con dígitos nuevos, pero de personas cuya letra ya ha
    visto, así que la exactitud que midamos es **optimista**: con dígitos de personas nuevas
    sería algo menor.
    """,
    concepts=["A4"],
)

nb.code(
    """
    print(
        "entrenamiento:",
        X_train.shape,
        X_train.dtype,
        "| prueba:",
        X_test.shape,
        "| clases:",
        np.bincount(y_train),
    )
    plotting.show_images(
        list(X_train[:8, 0]), [f"etiqueta {y}" for y in y_train[:8]], size=1.6, show_shape=False
    );
    """,
    concepts=["A4"],
)

nb.md(
    r"""
    El entrenamiento repite, lote a lote (32 imágenes): la red calcula sus 10 puntuaciones
    por imagen, la **entropía cruzada** mide cuánto se equivoca (el logaritmo de la
    probabilidad que la softmax da a la clase correcta, cambiado de signo), la
    retropropagación calcula el gradiente de cada peso (la pasada hacia atrás, el método
    `backward` de cada capa, como la del max pooling del cuaderno 5) y el optimizador Adam da
    un paso. Una **época** es una pasada por las $1\,438$ imágenes. `training.train_digits`
    hace eso y tres cosas más:

    * **estandariza** los píxeles: les resta la media y los divide entre la desviación típica
      de las imágenes de entrenamiento (`run.mean` y `run.std`), para que la entrada tenga
      media 0 y desviación típica 1. Cualquier imagen que le pasemos después a la red tiene
      que ir estandarizada igual;
    * **desplaza** cada imagen al azar, hasta 2 píxeles en cada eje, cada vez que la usa (un
      aumento de datos: la letra no siempre está centrada, y así la red no memoriza
      posiciones exactas);
    * va **bajando la tasa de aprendizaje** de Adam época a época, a lo largo de media curva
      coseno: pasos grandes al principio y pequeños al final.

    Es el mismo código que el comando

        python -m cnncourse train-digits

    que entrena 20 épocas y llega a una exactitud de al menos 0.97 en las imágenes de prueba.
    Aquí, para no esperar, entrenamos solo 3 épocas:
    """,
    concepts=["A4"],
)

nb.code(
    """
    run = training.train_digits(epochs=3, seed=0, progress="notebook", lang="es")
    print(run.summary_line(lang="es"))
    training.plot_history(run.history);
    """,
    concepts=["A4"],
)

nb.md(
    r"""
    Con tres épocas ya acierta más del 90 % de los dígitos de prueba, que no ha visto nunca
    (aunque sí la letra de quienes los escribieron; el azar acertaría el 10 %). Las curvas
    siguen mejorando: con más épocas (el comando) sube por encima de 0.97.

    ### ¿Qué ha aprendido?

    Los 6 filtros de C1 son matrices $5 \times 5$ que se aprenden, como el detector de líneas
    del cuaderno 2. Los comparamos con los valores aleatorios con los que empezaron (los de
    `architectures.lenet5(seed=0)`, la misma semilla) y miramos sus mapas de características en
    un dígito de prueba: dónde responde cada filtro. Debajo, los 16 mapas de C3, de
    $10 \times 10$ y más abstractos: cada uno combina los 6 de S2. La red aprendió con
    imágenes estandarizadas, así que se las damos igual, con `run.standardize(X_test)`; en las
    figuras, el dígito se ve tal cual.
    """,
    concepts=["A4"],
)

nb.code(
    """
    model = run.model  # en modo evaluación
    X_std = run.standardize(X_test)  # (X_test - run.mean) / run.std, como al entrenar
    filters = model[0].params["weight"][:, 0]  # conv1: (6, 1, 5, 5) -> (6, 5, 5)
    start = architectures.lenet5(seed=0)[0].params["weight"][:, 0]
    change = np.linalg.norm(filters - start) / np.linalg.norm(start)
    print(
        f"los filtros de C1 han cambiado un {100 * change:.0f} % desde su inicialización aleatoria"
    )
    plotting.show_kernels(list(filters), [f"filtro {d}" for d in range(6)])

    sample = X_std[:1]  # la red ve la imagen estandarizada ...
    c1 = model[:2](sample)[0]  # conv1 + ReLU: (6, 28, 28)
    c3 = model[:5](sample)[0]  # ... + pool1 + conv2 + ReLU: (16, 10, 10)
    # ... y la mostramos tal cual
    plotting.show_images({"dígito de prueba": X_test[0, 0]}, size=2.2)
    plotting.show_images(list(c1), [f"C1, mapa {d}" for d in range(6)], size=1.9, show_shape=False)
    plotting.show_images(
        list(c3), [f"C3, {d}" for d in range(16)], ncols=8, size=1.3, show_shape=False
    )
    print("suma de los pesos de cada filtro de C1:", filters.sum(axis=(1, 2)).round(2))
    print("parte de cada mapa de C1 que la ReLU deja a 0:", (c1 == 0).mean(axis=(1, 2)).round(2))
    """,
    concepts=["A4"],
)

nb.md(
    r"""
    Tras solo 3 épocas los filtros de C1 se han movido poco de sus valores aleatorios y, a
    simple vista, todavía parecen ruido: la primera capa se va definiendo despacio, y con el
    entrenamiento completo (el comando) sus filtros cambian bastante más. Sus mapas, en
    cambio, ya muestran papeles distintos. Para leerlos, recuerda que la red ve la imagen
    estandarizada: el fondo no vale 0, sino $-\text{media}/\text{desviación} \approx -0.94$, y
    el trazo, hasta $2.15$. Sobre el fondo, un filtro da su sesgo (casi 0) más $-0.94$ veces
    la suma de sus pesos, así que esa suma (la que se imprime) decide qué pasa allí:

    * si es claramente **positiva**, el fondo da valores negativos, que la ReLU anula, y el
      trazo da valores positivos: el mapa es una copia suavizada del trazo sobre fondo negro;
    * si es **negativa**, el mapa es el negativo del dígito: se enciende en el fondo y se
      apaga sobre el trazo, que da valores negativos;
    * si es **cercana a 0**, el fondo da casi 0 y el mapa solo marca algunos bordes y partes
      del trazo, según el dibujo de los pesos.

    En todos, la ReLU deja a 0 cerca de la mitad de las posiciones: cada filtro se queda con la
    parte de la imagen a la que responde. (Si un filtro diera valores negativos en todas las
    posiciones de todas las imágenes, no recibiría gradiente y dejaría de aprender: se dice
    que la neurona está «muerta».)

    ¿Y dónde se equivoca? Algunos de los dígitos de prueba que ha fallado:
    """,
    concepts=["A4"],
)

nb.code(
    """
    predicted = training.predict(model, X_std).argmax(axis=1)  # estandarizadas, como al entrenar
    wrong = np.flatnonzero(predicted != y_test)
    print(
        f"{len(wrong)} {'error' if len(wrong) == 1 else 'errores'} "
        f"en {len(y_test)} imágenes de prueba"
    )
    if len(wrong):
        plotting.show_images(
            list(X_test[wrong[:8], 0]),
            [f"es un {y_test[i]}, dice {predicted[i]}" for i in wrong[:8]],
            size=1.8,
            show_shape=False,
        )
    """,
    concepts=["A4"],
)
optional(first_optional)

# --------------------------------------------------------------------------------------
# 5. AlexNet (A5)
# --------------------------------------------------------------------------------------
nb.md(
    r"""
    ## 5. AlexNet

    > AlexNet (Krizhevsky et al, 2012)
    >
    > Red convolucional de 8 capas junto a un perceptrón de 3 capas.
    >
    > La implementación original estaba dividida en dos partes para poder funcionar en dos
    > GPUs.

    Un matiz sobre la primera frase, que se puede leer como $8 + 3 = 11$ capas: AlexNet tiene
    **8 capas con pesos en total**, 5 convolucionales y, encima, un perceptrón de 3 capas FC
    ($5 + 3 = 8$). Así lo cuenta el artículo: *"the net contains eight layers with weights;
    the first five are convolutional and the remaining three are fully-connected"*.

    Las GPU que usaron (GTX 580) tenían 3 GB de memoria y la red no cabía en una: cada una
    tenía la mitad de los filtros de cada capa, y conv2, conv4 y conv5 solo veían los mapas de
    su propia GPU. En `cnncourse` esa división es una **convolución por grupos**,
    `Conv2D(..., groups=2)`: cada mitad de los filtros ve la mitad de los canales, y la capa
    tiene la mitad de pesos. También hace la mitad de multiplicaciones: con $G$ grupos, cada
    filtro recorre $C/G$ canales en vez de $C$, así que las
    $D \cdot H_o \cdot W_o \cdot C \cdot h \cdot w$ multiplicaciones de una CONV se dividen
    entre el número de grupos: $D \cdot H_o \cdot W_o \cdot (C/G) \cdot h \cdot w$.

    De LeNet-5 a AlexNet, además del tamaño:

    | | LeNet-5 (1998) | AlexNet (2012) |
    |---|---|---|
    | datos | dígitos en gris, $32 \times 32$ | ImageNet: 1.2 millones de fotos en color, 1000 clases |
    | capas con pesos | 5 (3 CONV + 2 FC) | 8 (5 CONV + 3 FC) |
    | activación | tangente hiperbólica | ReLU (entrena mucho más rápido) |
    | pooling | *subsampling* $2 \times 2$ | max pooling $3 \times 3$ con stride 2 (ventanas solapadas) |
    | normalización | — | LRN (*local response normalization*, normalización local de la respuesta) tras conv1 y conv2 |
    | contra el sobreajuste | aumento de datos solo en un experimento (dígitos deformados al azar) | *dropout* (anula al azar la mitad de las neuronas en cada paso de entrenamiento) en las FC y aumento de datos (recortes, reflejos) |
    | hardware | CPU | dos GPU |

    Sus resúmenes, uno detrás de otro (la columna de la derecha son las multiplicaciones por
    imagen). AlexNet tiene 61 millones de pesos aleatorios: construirla tarda un par de
    segundos, y la descartamos en cuanto la medimos.
    """,  # noqa: E501 - markdown table rows and text, kept as written
    concepts=["A5"],
)

nb.code(
    r'''
    rows = {}  # nombre -> (profundidad, parámetros, multiplicaciones) de cada arquitectura


    def build(name, **options):
        """Construye architectures.BUILDERS[name] y guarda su fila de architectures.compare."""
        model = architectures.BUILDERS[name](**options)
        rows[name] = architectures.compare({model.name: model})[0]
        return model


    build("lenet5")
    alexnet = build("alexnet")
    print(lenet.summary(thousands=" ", lang="es"), "\n")
    print(alexnet.summary(thousands=" ", lang="es"))
    ''',
    concepts=["A5"],
)

nb.code(
    """
    for name in ("lenet5", "alexnet"):
        r = rows[name]
        print(
            f"{r.name:<8} {r.depth} capas con pesos, {spaced(r.params):>11} parámetros, "
            f"{spaced(r.macs):>13} multiplicaciones por imagen"
        )
    ratio_p = rows["alexnet"].params / rows["lenet5"].params
    ratio_m = rows["alexnet"].macs / rows["lenet5"].macs
    print(f"AlexNet: {ratio_p:.0f} veces más parámetros y {ratio_m:.0f} veces más multiplicaciones")
    profile = {r.name: r for r in alexnet.profile()}  # forma de salida y cuentas de cada capa
    for layer in alexnet:
        if isinstance(layer, Conv2D) and layer.groups > 1:  # conv2, conv4 y conv5
            (kh, kw), (D, Ho, Wo) = layer.kernel_size, profile[layer.name].output_shape
            C = layer.in_channels
            print(
                f"{layer.name}: groups={layer.groups}, {spaced(layer.count_params())} parámetros y "
                f"{spaced(profile[layer.name].macs)} multiplicaciones; sin dividir en dos, "
                f"{spaced(D * (C * kh * kw + 1))} y {spaced(D * Ho * Wo * C * kh * kw)}"
            )
    del alexnet, layer  # 61 millones de pesos (y sus gradientes)
    """,
    concepts=["A5"],
)

nb.md(
    r"""
    Otra lección de lectura de artículos: el texto de AlexNet dice que las imágenes de entrada
    son de $224 \times 224$, pero con conv1 ($11 \times 11$, stride 4, sin padding) las cuentas
    no salen: $224$ da mapas de $54 \times 54$, no los de $55 \times 55$ del artículo. Con la
    regla del suelo, cualquier entrada de $227$ a $230$ da 55. `cnncourse` usa $227$, la más
    pequeña que da 55 y la única de esas cuatro en la que la división es exacta,
    $(227 - 11)/4 = 54$: las ventanas llegan justo al borde y no sobra ninguna fila ni columna.
    """,
    concepts=["A5"],
)

nb.code(
    r"""
    for size in (224, 227):
        g = Geometry(size, 11, stride=4)
        print(g.formula_es())
        print(g.message_es, "\n")
    for size in range(224, 232):
        g = Geometry(size, 11, stride=4)
        exact = "división exacta" if (size - 11) % 4 == 0 else "se redondea hacia abajo"
        print(f"entrada {size}: conv1 da {g.output_shape[0]} x {g.output_shape[1]} ({exact})")
    """,
    concepts=["A5"],
)

# --------------------------------------------------------------------------------------
# 6. VGG (A6)
# --------------------------------------------------------------------------------------
nb.md(
    r"""
    ## 6. VGG

    > VGG (Simonyan and Zisserman, 2014)
    >
    > Red compuesta de 5 bloques VGG cada uno con capas CONV + POOL. La red finaliza con un
    > bloque de capas FC.
    >
    > La profundidad de la red se incrementó hasta 19 capas mientras el tamaño de los filtros
    > se redujo a 3.

    Un bloque VGG es un grupo del patrón: $[\mathtt{CONV} \to \mathtt{ReLU}] * N \to
    \mathtt{POOL}$, con convoluciones $3 \times 3$ de padding 1 (como en tu `build_pattern`) y
    un max pooling $2 \times 2$. VGG-16 es $M = 5$ bloques (con $N$ = 2, 2, 3, 3 y 3) y
    $K = 2$: el patrón a lo grande. Las variantes A, B, D y E del artículo son VGG-11, 13, 16
    y 19, por su número de capas con pesos (A-LRN es A con LRN; C, de 16 capas, usa
    convoluciones $1 \times 1$ en los tres últimos bloques).

    **¿Por qué filtros de $3 \times 3$?** Dos convoluciones $3 \times 3$ seguidas ven
    $5 \times 5$ píxeles de la entrada, y tres ven $7 \times 7$ (el campo receptivo del
    cuaderno 5), con menos pesos que un solo filtro grande y con una ReLU después de cada una,
    es decir, más no linealidad:
    """,
    concepts=["A6"],
)

nb.code(
    """
    C = 256  # canales de entrada y de salida
    for n, k in ((2, 5), (3, 7)):
        stack = Sequential(*[Conv2D(C, C, 3, padding=1, bias=False) for _ in range(n)])
        big = Conv2D(C, C, k, padding=k // 2, bias=False)
        print(
            f"{n} convoluciones 3 x 3: campo receptivo {2 * n + 1} x {2 * n + 1}, "
            f"{spaced(stack.count_params())} pesos = {n * 9}·C²;  una {k} x {k}: "
            f"{spaced(big.count_params())} pesos = {k * k}·C²"
        )
    """,
    concepts=["A6"],
)

nb.code(
    """
    vgg16 = build("vgg16")
    print(vgg16.summary(thousands=" ", lang="es"))
    """,
    concepts=["A6"],
)

nb.md(
    r"""
    De AlexNet a VGG-16: el doble de capas con pesos (16), más del doble de parámetros y unas
    20 veces más multiplicaciones por imagen. ¿Dónde están? La figura reparte los parámetros y
    las multiplicaciones de VGG-16 entre sus capas con pesos: las multiplicaciones están en las
    convoluciones, que recorren mapas grandes, y los parámetros, en las FC. Solo `fc6`, que
    conecta los $512 \cdot 7 \cdot 7 = 25\,088$ valores del último bloque con 4096 neuronas,
    tiene 103 de los 138 millones.
    """,
    concepts=["A6"],
)

nb.code(
    """
    weighted = [r for r in vgg16.profile() if r.params]
    fig, (ax_p, ax_m) = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    ypos = np.arange(len(weighted))
    ax_p.barh(ypos, [r.params / 1e6 for r in weighted], color="tab:blue")
    ax_m.barh(ypos, [r.macs / 1e9 for r in weighted], color="tab:orange")
    ax_p.set(
        yticks=ypos,
        yticklabels=[r.name for r in weighted],
        xlabel="millones de parámetros",
        title="VGG-16: parámetros por capa",
    )
    ax_m.set(
        xlabel="miles de millones de multiplicaciones", title="VGG-16: multiplicaciones por capa"
    )
    ax_p.invert_yaxis()
    fig.tight_layout()
    fc = sum(r.params for r in weighted if r.name.startswith("fc"))
    conv_macs = sum(r.macs for r in weighted if r.name.startswith("conv"))
    print(
        f"las FC tienen el {100 * fc / rows['vgg16'].params:.0f} % de los parámetros; "
        f"las CONV hacen el {100 * conv_macs / rows['vgg16'].macs:.1f} % de las multiplicaciones"
    )
    for name in ("alexnet", "vgg16"):
        r = rows[name]
        print(
            f"{r.name:<8} {r.depth:>2} capas con pesos, {spaced(r.params):>12} parámetros, "
            f"{spaced(r.macs):>15} multiplicaciones por imagen"
        )
    del vgg16  # 138 millones de pesos (y sus gradientes)
    """,
    concepts=["A6"],
)

# --------------------------------------------------------------------------------------
# 7. GoogLeNet (A7) and exercise 3
# --------------------------------------------------------------------------------------
nb.md(
    r"""
    ## 7. GoogLeNet

    > GoogLeNet (Szegedy et al, 2014)
    >
    > Compuesta de dos capas CONV + POOL, una serie de 9 bloques "inception" y una capa de
    > global average pooling.
    >
    > Cada bloque "inception" es a su vez una CNN con 4 caminos paralelos.

    Los cuatro caminos de un bloque *inception* reciben la misma entrada `(C, H, W)`:

    1. una convolución $1 \times 1$ (`ch1x1` filtros);
    2. una $1 \times 1$ (`ch3x3red` filtros) y después una $3 \times 3$ con padding 1 (`ch3x3`);
    3. una $1 \times 1$ (`ch5x5red` filtros) y después una $5 \times 5$ con padding 2 (`ch5x5`);
    4. un max pooling $3 \times 3$ con stride 1 y padding 1, y después una $1 \times 1$
       (`pool_proj` filtros).

    Cada convolución lleva su sesgo y su ReLU, y las salidas de los cuatro caminos se
    **concatenan** a lo largo de los canales. Para poder concatenarlas, todas tienen que medir
    lo mismo de alto y de ancho: por eso cada camino conserva $H \times W$ con el padding
    justo, $p = (k - 1)/2$. En la figura, con una entrada de $5 \times 5$, la ventana en su
    primera posición y la salida, también de $5 \times 5$, para $k$ = 1, 3 y 5 (todas las
    cuadrículas a la misma escala):
    """,
    concepts=["A7"],
)

nb.code(
    r"""
    fig, axes = plt.subplots(2, 3, figsize=(11, 7.5))
    side = 5 + 2 * 2  # la entrada más grande, con padding 2: 9 x 9
    for col, (k, p) in enumerate(((1, 0), (3, 1), (5, 2))):
        draw_arithmetic(axes[0, col], axes[1, col], Geometry(5, k, padding=p), step=0)
        axes[0, col].set_title(f"{k} × {k}, padding {p}\n" + axes[0, col].get_title(), fontsize=10)
        margin = (side - (5 + 2 * p)) / 2 + 0.15  # todas las cuadrículas a la misma escala
        for ax in axes[:, col]:
            ax.set_xlim(-margin, 5 + 2 * p + margin)
            ax.set_ylim(5 + 2 * p + margin, -margin)
    fig.tight_layout()
    """,
    concepts=["A7"],
)

nb.md(
    r"""
    Mueve los deslizadores: con stride 1, ¿qué padding conserva el tamaño para cada kernel
    impar? ¿Y para uno par? (El explorador necesita un Jupyter en marcha; en una ejecución sin
    pantalla no se ve nada.)
    """,
    concepts=["A7"],
    locked=False,
)

nb.code(
    """
    conv_arithmetic_explorer(in_size=7, kernel_size=5, padding=2, stride=1)
    """
)

nb.md(
    r"""
    **Las convoluciones $1 \times 1$ de reducción.** La convolución $1 \times 1$ del cuaderno 3
    (la que pasaba una foto a gris) mezcla canales píxel a píxel sin mirar a los vecinos. Aquí
    sirve para **reducir** los canales antes de las convoluciones caras. En el bloque 3a,
    una $5 \times 5$ que fuera directamente de 192 a 32 canales sobre mapas de $28 \times 28$
    costaría esto, frente a reducir antes a 16 canales:
    """,
    concepts=["A7"],
)

nb.code(
    """
    direct = Conv2D(192, 32, 5, padding=2)
    reduced = Sequential(Conv2D(192, 16, 1), ReLU(), Conv2D(16, 32, 5, padding=2))
    for label, block in (("5 x 5 directa", direct), ("1 x 1 (16) y 5 x 5", reduced)):
        print(
            f"{label:<20}{spaced(block.count_params()):>9} parámetros "
            f"{spaced(block.macs((192, 28, 28))):>13} multiplicaciones por imagen"
        )
    """,
    concepts=["A7"],
)

nb.md(
    r"""
    ✏️ **Ejercicio 3 (2 puntos).** Escribe
    `inception_out(in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj)`: devuelve
    la tupla `(canales de salida, parámetros)` de un bloque inception con esos números de
    filtros, contando los pesos **y los sesgos** de sus 6 convoluciones (el max pooling no
    tiene parámetros). Calcúlalo con la fórmula $D \cdot (C \cdot h \cdot w + 1)$, con $C$ los
    canales que llegan a cada convolución; no construyas el bloque: ni `Inception`, ni
    `Conv2D`, ni `architectures.googlenet`, ni sus métodos `output_shape`, `count_params`,
    `profile` o `summary`.

    Devuelve exactamente una tupla de dos enteros, `return (canales, parámetros)`: no una
    lista ni una tupla con nombre, y enteros (`int`), no `float`. Por ejemplo, el bloque 3a de
    GoogLeNet, `inception_out(192, 64, 96, 128, 16, 32, 32)`, es `(256, 163696)`. La celda de
    comprobación lo comprueba con un bloque pequeño, con el 3a y con el 4a; las comprobaciones
    ocultas, con otros bloques de GoogLeNet y con números al azar.
    """,
    concepts=["A7"],
)

nb.solution(
    '''
    def inception_out(in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj):
        """(canales de salida, parámetros con los sesgos) de un bloque inception."""

        ### BEGIN SOLUTION
        def conv(c, d, k):
            return d * (c * k * k + 1)

        C = in_channels
        params = (
            conv(C, ch1x1, 1)
            + conv(C, ch3x3red, 1)
            + conv(ch3x3red, ch3x3, 3)
            + conv(C, ch5x5red, 1)
            + conv(ch5x5red, ch5x5, 5)
            + conv(C, pool_proj, 1)
        )
        return (ch1x1 + ch3x3 + ch5x5 + pool_proj, params)
        ### END SOLUTION
    ''',
    grade_id="inception_out",
    concepts=["A7"],
)

nb.tests(
    '''
    """Comprueba inception_out con un bloque pequeño, con el 3a de GoogLeNet y con el 4a."""
    with checks.exercise(globals(), "inception_out"):
        hint = checks.explain_inception_rules(inception_out)
        assert not hint, hint
        block = Inception(480, 192, 96, 208, 16, 48, 64)  # el bloque 4a, de la biblioteca
        for args, expected in (
            ((12, 4, 6, 8, 2, 3, 5), (20, 814)),  # todos los números distintos
            ((192, 64, 96, 128, 16, 32, 32), (256, 163696)),  # el bloque 3a
            ((480, 192, 96, 208, 16, 48, 64), (block.out_channels, block.count_params())),
        ):
            got = inception_out(*args)
            hint = checks.explain_inception(got, *args)
            assert not hint and got == expected, (
                f"{hint}\\nCon inception_out{args}: se esperaba {expected}; has devuelto {got!r}."
            ).strip()
        print(f"¡Bien! El bloque 3a da 256 canales con {spaced(163696)} parámetros.")
    ### BEGIN HIDDEN TESTS
    import cnncourse._grading as _grading

    _grading.trusted(globals()).hidden_inception(inception_out, globals())
    ### END HIDDEN TESTS
    ''',
    grade_id="test_inception_out",
    points=2,
)

nb.md(
    r"""
    Al final, en vez del bloque FC de VGG, GoogLeNet hace un **global average pooling** (el
    del cuaderno 5): resume cada uno de los 1024 mapas de $7 \times 7$ en un número, y una sola
    FC de 1024 a 1000 da las puntuaciones. Con esos dos trucos, 22 capas con pesos caben en 7
    millones de parámetros. Al entrenar, el artículo añadía dos clasificadores auxiliares en
    4a y 4d; se descartan al predecir (y no están en estas cuentas).

    ¿Cuántas veces menos que AlexNet? El artículo dice **12**, sin decir cómo cuenta los
    parámetros; un artículo posterior del propio Szegedy (2015) da las cifras redondas: unos 5
    millones frente a los 60 de AlexNet. Aquí sale **9**
    ($60\,965\,224 / 6\,998\,552 \approx 8.7$) porque sumamos, capa a capa, la red de la tabla
    1 del propio artículo, con sus sesgos y con la FC final, que sola tiene un millón de
    parámetros. Las cuentas de la celda siguiente:
    """,
    concepts=["A7"],
)

nb.code(
    """
    googlenet = build("googlenet")
    for r in googlenet.profile():
        if r.kind == "Inception" or r.name in ("avgpool", "fc"):
            print(f"{r.name:<12}{str(r.output_shape):<16}{spaced(r.params):>11} parámetros")
    r = rows["googlenet"]
    print(
        f"total: {r.depth} capas con pesos, {spaced(r.params)} parámetros, "
        f"{spaced(r.macs)} multiplicaciones por imagen"
    )
    print(f"AlexNet / GoogLeNet: {rows['alexnet'].params / r.params:.1f} veces los parámetros")
    del googlenet
    """,
    concepts=["A7"],
)

# --------------------------------------------------------------------------------------
# 8. ResNet (A8), exercise 4 and the gradients
# --------------------------------------------------------------------------------------
nb.md(
    r"""
    ## 8. ResNet

    > ResNet (He et al, 2015)
    >
    > Compuesta inicialmente similar a GoogLeNet, una serie de 4 bloques residuales y una capa
    > global average pooling. Algunas extensiones proponen más bloques residuales, hasta 152
    > (ResNet-152).

    Dos precisiones para leer la cita con los números de la biblioteca: los «4 bloques
    residuales» son 4 **etapas**, cada una con varios bloques (ResNet-18 tiene 2 bloques por
    etapa; ResNet-152, 3, 8, 36 y 3), y el 152 cuenta **capas con pesos**, no bloques: 50
    bloques de 3 convoluciones, más la convolución inicial y la FC final,
    $50 \cdot 3 + 2 = 152$.

    Un **bloque residual** no aprende una función $H(\mathbf{x})$ entera, sino lo que hay que
    **sumarle** a su entrada:

    $$\mathbf{y} = \mathrm{ReLU}\big(F(\mathbf{x}) + \mathbf{x}\big),$$

    donde $F$ son dos convoluciones $3 \times 3$ con una ReLU entre las dos (el bloque básico
    de ResNet-18 y 34; ResNet-50, 101 y 152 usan el bloque *bottleneck*, «cuello de botella»,
    $1 \times 1 \to 3 \times 3 \to 1 \times 1$). Tras cada convolución va una **normalización
    por lotes (BatchNorm)**, que normaliza cada canal con la media y la desviación típica del
    lote y aprende una escala y un desplazamiento (2 parámetros por canal). El camino que
    lleva $\mathbf{x}$ directamente a la suma es la **skip connection** o atajo. Si la mejor
    opción es no cambiar nada, al bloque le basta con aprender $F = 0$.

    > Bloque ResNet regular vs. bloque ResNet con convolución 1×1.

    Cuando $F$ cambia el número de canales o reduce el tamaño a la mitad (stride 2), $\mathbf{x}$
    ya no se puede sumar a $F(\mathbf{x})$: el atajo pasa entonces por una **convolución
    $1 \times 1$** (con el mismo stride) que lo proyecta a la forma de $F(\mathbf{x})$. En
    `cnncourse.layers`, `ResidualBlock` elige uno u otro y guarda las dos ramas en
    `block.main` ($F$) y `block.shortcut` (`None` si el atajo es la identidad):
    """,
    concepts=["A8"],
)

nb.code(
    """
    regular = ResidualBlock(64, 64)
    projection = ResidualBlock(64, 128, stride=2)
    for label, block in (("regular", regular), ("con convolución 1 x 1", projection)):
        print(
            f"bloque {label}: (64, 56, 56) -> {block.output_shape((64, 56, 56))}, "
            f"{spaced(block.count_params())} parámetros; atajo: {block.shortcut}"
        )
    """,
    concepts=["A8"],
)

nb.md(
    r"""
    ✏️ **Ejercicio 4 (3 puntos).** Escribe `residual_forward(x, main, shortcut=None)`: la
    salida de un bloque residual para un lote `x` de forma `(N, C, H, W)`, donde `main` es la
    rama $F$ y `shortcut` el atajo, dos funciones (o capas) que reciben y devuelven arrays. Si
    `shortcut` es `None`, el atajo es la identidad:
    $\mathbf{y} = \mathrm{ReLU}(F(\mathbf{x}) + \mathbf{x})$; si no,
    $\mathbf{y} = \mathrm{ReLU}(F(\mathbf{x}) + \mathrm{shortcut}(\mathbf{x}))$. La ReLU es
    `np.maximum(·, 0)`.

    Pasa a `main` y a `shortcut` el propio `x` (un `np.ndarray`) y devuelve un array nuevo de
    NumPy (`np.ndarray`, de tipo float) con la forma de $F(\mathbf{x})$, sin modificar `x`
    (nada de `x += ...`). La celda de comprobación lo comprueba con un atajo identidad, con un
    atajo de proyección que no cambia la forma y con un bloque de la biblioteca que sí la
    cambia; las comprobaciones ocultas, con otras formas, otros canales y stride 2.
    """,
    concepts=["A8"],
)

nb.solution(
    '''
    def residual_forward(x, main, shortcut=None):
        """y = ReLU(main(x) + shortcut(x)); si shortcut es None, el atajo es la identidad."""
        ### BEGIN SOLUTION
        skip = x if shortcut is None else shortcut(x)
        return np.maximum(main(x) + skip, 0)
        ### END SOLUTION
    ''',
    grade_id="residual_forward",
    concepts=["A8"],
)

nb.tests(
    '''
    """Comprueba residual_forward con un atajo identidad y con dos atajos de proyección."""
    with checks.exercise(globals(), "residual_forward"):
        x = np.array(
            [[[[1.0, -2.0, 0.5], [3.0, -0.5, 2.0]]], [[[-1.0, 0.0, 4.0], [0.25, 1.5, -3.0]]]]
        )  # (2, 1, 2, 3)

        def F(a):  # una rama F sencilla, para hacerlo a mano
            return -2.0 * a + 1.0

        try:
            y = checks.check_residual_rules(residual_forward, (x, F), globals())
        except (TypeError, ValueError) as err:
            raise AssertionError(checks.explain_residual_error(err, x, F)) from err
        expected = np.array(  # ReLU(-2x + 1 + x) = ReLU(1 - x)
            [[[[0.0, 3.0, 0.5], [0.0, 1.5, 0.0]]], [[[2.0, 1.0, 0.0], [0.75, 0.0, 4.0]]]]
        )
        checks.assert_close(
            y,
            expected,
            hint=lambda: checks.explain_residual(y, x, F),
            context="Con F(x) = -2x + 1 y el atajo identidad: y = ReLU(F(x) + x) = ReLU(1 - x).",
        )

        def G(a):  # un atajo de proyección que no cambia la forma
            return 3.0 * a

        y = checks.check_residual_rules(residual_forward, (x, F, G), globals())
        expected = np.array(  # ReLU(-2x + 1 + 3x) = ReLU(1 + x)
            [[[[2.0, 0.0, 1.5], [4.0, 0.5, 3.0]]], [[[0.0, 1.0, 5.0], [1.25, 2.5, 0.0]]]]
        )
        checks.assert_close(
            y,
            expected,
            hint=lambda: checks.explain_residual(y, x, F, G),
            context="Con F(x) = -2x + 1 y shortcut(x) = 3x: y = ReLU(F(x) + 3x) = ReLU(1 + x).",
        )
        block = ResidualBlock(3, 4, stride=2).eval()  # atajo: convolución 1 x 1 con stride 2
        xb = rng.normal(size=(2, 3, 7, 5)).astype(np.float32)
        args = (xb, block.main, block.shortcut)
        try:
            yb = checks.check_residual_rules(residual_forward, args, globals())
        except (TypeError, ValueError) as err:
            raise AssertionError(checks.explain_residual_error(err, *args)) from err
        checks.assert_close(
            yb,
            block(xb),
            rtol=1e-5,
            atol=1e-5,
            hint=lambda: checks.explain_residual(yb, *args),
            context="Con ResidualBlock(3, 4, stride=2): x (2, 3, 7, 5) y F(x) (2, 4, 4, 3).",
        )
        print(
            "¡Bien! Tu bloque residual coincide con el de la biblioteca:", xb.shape, "->", yb.shape
        )
    ### BEGIN HIDDEN TESTS
    import cnncourse._grading as _grading

    _grading.trusted(globals()).hidden_residual(residual_forward, globals())
    ### END HIDDEN TESTS
    ''',
    grade_id="test_residual_forward",
    points=3,
)

nb.md(
    r"""
    ### ¿Por qué las skip connections permiten tanta profundidad?

    > El entrenamiento de redes de esta profundidad es posible gracias a las *skip
    > connections* de los bloques residuales. Permiten a los gradientes acortar las capas y
    > atravesarlas sin desvanecerse.

    En la retropropagación, cada capa recibe el gradiente de la pérdida respecto a su salida y
    lo multiplica por su derivada para pasarlo a la anterior. En una red **plana**
    ($\mathbf{y} = F(\mathbf{x})$) el gradiente que llega a la entrada es un producto de tantos
    factores como capas: si cada capa lo encoge un poco, tras 30 capas no queda nada, y las
    primeras capas no aprenden.

    En un bloque residual, el atajo suma $\mathbf{x}$ antes de la ReLU:
    $\mathbf{y} = \mathrm{ReLU}(\mathbf{s})$ con $\mathbf{s} = F(\mathbf{x}) + \mathbf{x}$. La
    ReLU deja pasar el gradiente donde $\mathbf{s} > 0$ y lo anula donde $\mathbf{s} \le 0$;
    llamemos $\mathbf{g} = \partial L / \partial \mathbf{s}$ a lo que deja pasar. Entonces

    $$\frac{\partial L}{\partial \mathbf{x}} = \mathbf{g}
      + \mathbf{g}\,\frac{\partial F}{\partial \mathbf{x}}.$$

    El primer término vuelve por el atajo **sin multiplicarse por ningún peso**: no es un
    producto de factores que lo encogen, y por eso no se desvanece al atravesar muchos
    bloques. Pero no llega *tal cual*: la ReLU que va después de la suma lo anula en las
    posiciones donde $\mathbf{s} \le 0$. Solo la ResNet **pre-activación** (He et al. 2016,
    *Identity mappings in deep residual networks*) tiene un camino identidad puro: pone la
    BatchNorm y la ReLU dentro de $F$, delante de cada convolución, y nada después de la suma,
    $\mathbf{y} = \mathbf{x} + F(\mathbf{x})$. Con ella

    $$\frac{\partial L}{\partial \mathbf{x}} = \frac{\partial L}{\partial \mathbf{y}}
      + \frac{\partial L}{\partial \mathbf{y}} \frac{\partial F}{\partial \mathbf{x}},$$

    y el gradiente de la salida llega entero, sumado a lo demás, a todos los bloques
    anteriores. Los bloques de la ResNet de 2015, el de tu `residual_forward` y los de
    `cnncourse` son *post-activación*: la ReLU va después de la suma.
    """,
    concepts=["A8"],
)

first_optional = len(nb.cells)
nb.md(
    r"""
    ### Para saber más: el experimento de los gradientes

    *Opcional: no se califica y ninguna celda posterior lo necesita. Para seguir con lo
    esencial, salta al resumen del final (las secciones 9 y 10 también son opcionales).*

    Los dos bloques residuales más sencillos, sin BatchNorm, con su pasada hacia atrás:
    `Residual`, el post-activación de ResNet, $\mathrm{ReLU}(F(\mathbf{x}) + \mathbf{x})$, y
    `PreActResidual`, el pre-activación, $\mathbf{x} + F(\mathbf{x})$. Sus métodos `backward`
    son las dos fórmulas de arriba:
    """,
    concepts=["A8"],
)

nb.code(
    '''
    class Residual(Layer):
        """y = ReLU(main(x) + x), con su pasada hacia atrás: el bloque post-activación."""

        def __init__(self, main):
            super().__init__()
            self.main, self.relu = main, ReLU()

        def children(self):
            return [self.main, self.relu]

        def forward(self, x):
            s = self.main(x) + x
            self.kept = float(np.mean(s > 0))  # parte de las posiciones que deja pasar la ReLU
            return self.relu(s)

        def backward(self, dout):
            g = self.relu.backward(dout)  # el gradiente de la suma: 0 donde s <= 0
            return g + self.main.backward(g)  # por el atajo, sin pesos; y por F


    class PreActResidual(Layer):
        """y = x + main(x), sin nada después de la suma: el bloque pre-activación."""

        def __init__(self, main):
            super().__init__()
            self.main = main

        def children(self):
            return [self.main]

        def forward(self, x):
            return x + self.main(x)

        def backward(self, dout):
            return dout + self.main.backward(dout)  # dout llega entero por el atajo
    ''',
    concepts=["A8"],
)

nb.md(
    r"""
    El experimento: 30 convoluciones $3 \times 3$ de 16 canales, con pesos aleatorios, montadas
    de tres formas con **los mismos pesos**: una red plana (15 bloques CONV → ReLU → CONV →
    ReLU), una residual post-activación (15 bloques $\mathrm{ReLU}(F(\mathbf{x}) + \mathbf{x})$
    con $F$ = CONV → ReLU → CONV) y una residual pre-activación (15 bloques
    $\mathbf{x} + F(\mathbf{x})$ con $F$ = ReLU → CONV → ReLU → CONV). Pasamos un lote de 4
    entradas aleatorias hacia delante, ponemos en la salida un gradiente de norma 1 y medimos
    su norma a la entrada de cada bloque, camino de la entrada. Los pesos siguen la
    inicialización por defecto de PyTorch para `nn.Conv2d`, $U(-b, b)$ con
    $b = 1/\sqrt{C \cdot h \cdot w}$ ($\sqrt{6}$ veces menor que la de `cnncourse`, ahora lo
    comentamos).
    """,
    concepts=["A8"],
)

nb.code(
    '''
    PYTORCH_SCALE = 1 / np.sqrt(6)


    def stacks(depth=30, channels=16, scale=PYTORCH_SCALE, seed=1):
        """Redes plana, post-activación y pre-activación con las mismas `depth` convoluciones."""
        init = np.random.default_rng(seed)
        convs = [Conv2D(channels, channels, 3, padding=1, rng=init) for _ in range(depth)]
        for conv in convs:
            conv.params["weight"] *= scale  # He (cnncourse) -> PyTorch por defecto
        pairs = [(convs[i], convs[i + 1]) for i in range(0, depth, 2)]
        plain = [Sequential(a, ReLU(), b, ReLU()) for a, b in pairs]
        post = [Residual(Sequential(a, ReLU(), b)) for a, b in pairs]
        pre = [PreActResidual(Sequential(ReLU(), a, ReLU(), b)) for a, b in pairs]
        return plain, post, pre


    def gradient_norms(blocks, x):
        """Norma de dL/d(entrada de cada bloque) para un gradiente de norma 1 en la salida."""
        for block in blocks:
            x = block(x)
        dout = np.random.default_rng(2).normal(size=x.shape).astype(np.float32)
        dout /= np.linalg.norm(dout)
        norms = [1.0]
        for block in reversed(blocks):
            dout = block.backward(dout)
            norms.append(float(np.linalg.norm(dout)))
        return norms[::-1]  # de la entrada a la salida


    x0 = np.random.default_rng(0).normal(size=(4, 16, 8, 8)).astype(np.float32)
    plain, post, pre = stacks()
    g_plain, g_post, g_pre = (gradient_norms(blocks, x0) for blocks in (plain, post, pre))
    layer = np.arange(0, 31, 2)  # convoluciones entre la entrada y ese punto
    fig, ax = plt.subplots(figsize=(7.5, 4))
    ax.semilogy(layer, g_plain, "o-", label="red plana")
    ax.semilogy(layer, g_post, "s-", label="residual post-activación: ReLU(F(x) + x)")
    ax.semilogy(layer, g_pre, "^-", label="residual pre-activación: x + F(x)")
    ax.set(
        xlabel="capa (0 = entrada de la red, 30 = salida)",
        ylabel="norma del gradiente ∂L/∂x",
        title="30 capas, inicialización por defecto de PyTorch, sin BatchNorm",
    )
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    print(
        f"norma del gradiente en la entrada: plana {g_plain[0]:.1e}, "
        f"post-activación {g_post[0]:.2f}, pre-activación {g_pre[0]:.2f}"
    )
    print(
        f"cada bloque plano multiplica la norma por {(g_plain[0] / g_plain[-1]) ** (1 / 15):.2f}"
        " (media geométrica)"
    )
    kept = [block.kept for block in post]
    print(
        f"las ReLU después de la suma dejan pasar entre el {100 * min(kept):.0f} % y el "
        f"{100 * max(kept):.0f} % de las posiciones"
    )
    ''',
    concepts=["A8"],
)

nb.md(
    r"""
    En la red plana, cada bloque multiplica la norma del gradiente por 0.14 de media: tras
    30 capas llega a la entrada un gradiente **billones** de veces más pequeño que en la salida.
    Las primeras capas no recibirían señal para aprender.

    En la residual post-activación, la de ResNet, el experimento mide el gradiente que
    atraviesa 15 ReLU puestas después de la suma: cada una deja pasar solo entre la mitad y
    el 87 % de las posiciones. Aun así llega a la entrada con norma 0.71: ha perdido menos de
    un tercio por el camino, no se ha dividido entre billones como en la red plana. Lo que la
    ReLU deja pasar vuelve por el atajo sin multiplicarse por ningún peso, y $F$ suma su
    parte. Eso es «acortar las capas y atravesarlas sin desvanecerse». En la pre-activación,
    sin nada después de la suma, el gradiente de la salida llega entero a cada bloque y cada
    $F$ le suma algo más: la norma **crece** un poco camino de la entrada, de 1 a 1.13.

    **¿Y si elegimos mejor la escala de los pesos?** La inicialización de He (He et al. 2015,
    los mismos autores que ResNet; es la que usa `cnncourse`) está pensada para compensar la
    mitad de la señal que anula cada ReLU. La celda siguiente repite el experimento con ella.
    La red plana empieza mucho mejor: el gradiente llega a la entrada unas 20 veces más
    pequeño (norma 0.05), no billones de veces. Pero las residuales, sin BatchNorm, se pasan al
    otro extremo: cada atajo **suma**, y el gradiente crece camino de la entrada hasta una
    norma de 45 (post-activación) o de 27 (pre-activación). Ya no se desvanece, pero
    **explota**. Por eso los bloques de ResNet llevan BatchNorm, que mantiene cada rama a
    escala.

    Y el gradiente no lo explica todo. He et al. comprobaron en ImageNet que sus redes planas
    de 18 y 34 capas, con BatchNorm, tenían gradientes de normas sanas, y aun así la de 34
    capas tenía más error de entrenamiento que la de 18: es la **degradación**. En CIFAR-10
    vieron lo mismo con redes planas de 20 y 56 capas: la de 56 se equivocaba más, en
    entrenamiento y en prueba. Con atajos, las redes residuales mejoraban al añadir capas. El
    atajo facilita la optimización; la escala la pone la BatchNorm.
    """,
    concepts=["A8"],
)

nb.code(
    """
    plain_he, post_he, pre_he = stacks(scale=1.0)
    print(
        f"inicialización de He, norma del gradiente en la entrada: "
        f"plana {gradient_norms(plain_he, x0)[0]:.2f}, "
        f"post-activación {gradient_norms(post_he, x0)[0]:.1f}, "
        f"pre-activación {gradient_norms(pre_he, x0)[0]:.1f}"
    )
    """,
    concepts=["A8"],
)
optional(first_optional)

# --------------------------------------------------------------------------------------
# 9. Twelve architectures at a glance (A5-A8)
# --------------------------------------------------------------------------------------
first_optional = len(nb.cells)
nb.md(
    r"""
    ## 9. Para saber más: doce arquitecturas de un vistazo

    *Opcional, como la sección 10: no se califican y el resumen del final no las necesita.*

    Construimos las que faltan de las doce de `cnncourse.architectures` (VGG-11, 13 y 19 tienen
    entre 133 y 144 millones de pesos cada una: esta celda tarda unos segundos) y comparamos su
    profundidad (capas con pesos en el camino más largo de la entrada a la salida), sus
    parámetros y sus multiplicaciones por imagen, en orden cronológico. Los paneles de los
    parámetros y de las multiplicaciones van en escala logarítmica. ResNet-50, 101 y 152 son
    las del artículo, con `stride_on="1x1"` (por eso su nombre lleva «v1»): la sección 10
    explica qué cambia en la versión de las bibliotecas.
    """,
    concepts=["A5", "A6", "A7", "A8"],
)

nb.code(
    """
    PAPER = {"resnet50", "resnet101", "resnet152"}  # las del artículo: stride en la 1 x 1
    for name in architectures.BUILDERS:
        if name not in rows:  # el modelo se descarta: solo sus números
            build(name, **({"stride_on": "1x1"} if name in PAPER else {}))
    table = [rows[name] for name in architectures.BUILDERS]
    print(f"{'arquitectura':<14}{'capas':>6}{'parámetros':>14}{'multiplicaciones':>18}")
    for r in table:
        print(f"{r.name:<14}{r.depth:>6}{spaced(r.params):>14}{spaced(r.macs):>18}")

    fig, axes = plt.subplots(1, 3, figsize=(13, 4.6), sharey=True)
    ypos = np.arange(len(table))
    colors = ["tab:gray", "tab:red"] + ["tab:blue"] * 4 + ["tab:green"] + ["tab:purple"] * 5
    for ax, key, label in zip(
        axes,
        ("depth", "params", "macs"),
        ("capas con pesos", "parámetros", "multiplicaciones por imagen"),
        strict=True,
    ):
        ax.barh(ypos, [getattr(r, key) for r in table], color=colors)
        ax.set_xlabel(label)
        ax.grid(alpha=0.3, axis="x", which="both")
        if key != "depth":
            ax.set_xscale("log")
    axes[0].set(yticks=ypos, yticklabels=[r.name for r in table])
    axes[0].invert_yaxis()
    fig.suptitle("Profundidad, parámetros y multiplicaciones de 12 arquitecturas")
    fig.tight_layout()
    """,
    concepts=["A5", "A6", "A7", "A8"],
)

nb.md(
    r"""
    * **Más profundidad no significa más parámetros.** GoogLeNet (22 capas) tiene 9 veces
      menos parámetros que AlexNet (8; el artículo dice 12, sección 7), y ResNet-152 (152
      capas) menos que VGG-19 (19): los dos terminan en global average pooling en vez de en
      grandes FC, y usan convoluciones $1 \times 1$ para reducir canales (los bloques
      *bottleneck*, «cuello de botella», de ResNet-50, 101 y 152 son
      $1 \times 1 \to 3 \times 3 \to 1 \times 1$).
    * **El coste va con los mapas grandes.** VGG-16 y VGG-19 hacen más multiplicaciones que
      cualquier ResNet, incluida ResNet-152, porque aplican muchos filtros sobre mapas de
      $224 \times 224$ y $112 \times 112$; ResNet reduce el tamaño desde la primera capa
      (stride 2 y un max pooling).
    * De LeNet-5 (1998) a ResNet-152 (2015), los parámetros se han multiplicado por casi 1000
      y las multiplicaciones por imagen, por unas 27 000.
    """,
    concepts=["A5", "A6", "A7", "A8"],
)

# --------------------------------------------------------------------------------------
# 10. Reading papers: library versions
# --------------------------------------------------------------------------------------
nb.md(
    r"""
    ## 10. Leer artículos: por qué las versiones de las bibliotecas no coinciden

    Si cuentas los parámetros de AlexNet y de GoogLeNet en `torchvision` (la biblioteca de
    modelos de PyTorch) no te saldrán los de la tabla anterior, ni las multiplicaciones de sus
    ResNet-50, 101 y 152 serán las del artículo, y no es un error de nadie:

    * **AlexNet de torchvision** ($61\,100\,840$ parámetros) no es la del artículo de 2012,
      sino una variante de una sola GPU basada en la de otro artículo de Krizhevsky (2014,
      *"One weird trick for parallelizing convolutional neural networks"*), aunque con 256
      filtros en conv4 donde el artículo dice 384 (los toma de la configuración para una GPU
      del código del propio Krizhevsky, *cuda-convnet2*): 64, 192, 384, 256 y 256 filtros, sin
      grupos (ya no hay dos GPU), sin LRN y con padding 2 en conv1, que resuelve a su manera el
      enigma de $224$ frente a $227$: $\lfloor (224 + 2 \cdot 2 - 11)/4 \rfloor + 1 = 55$.
    * **GoogLeNet de torchvision** añade BatchNorm tras cada convolución (publicada después
      que GoogLeNet), quita los sesgos y usa $3 \times 3$ donde el artículo pone $5 \times 5$
      (en el tercer camino de cada bloque inception: un descuido que se quedó para no invalidar
      los pesos ya entrenados). La cifra ($6\,624\,904$) es la del modelo sin los
      clasificadores auxiliares; la versión de `cnncourse` tampoco los tiene.
    * **ResNet-50, 101 y 152 de torchvision** (y de `cnncourse`, si no se le pide otra cosa)
      son la versión «v1.5». En los tres bloques *bottleneck* que reducen el tamaño a la mitad
      (el primero de la segunda, la tercera y la cuarta etapa: conv3_x, conv4_x y conv5_x en
      el artículo) ponen el stride 2 en la convolución $3 \times 3$; el
      artículo («v1») lo pone en la primera $1 \times 1$. Los parámetros son los mismos: el
      stride no cambia los pesos de un filtro. Las multiplicaciones no: con el stride en la
      $3 \times 3$, la $1 \times 1$ de delante trabaja sobre los mapas antes de reducirlos, con
      4 veces más posiciones. La v1.5 cuesta más, pero acierta algo más en ImageNet: una
      $1 \times 1$ con stride 2 solo lee uno de cada cuatro píxeles, y las ventanas solapadas
      de la $3 \times 3$ los leen todos. `architectures.resnet50(stride_on="1x1")` construye la
      del artículo.

    Con la fórmula de siempre, $D \cdot (C \cdot h \cdot w + 1)$, se comprueban las dos
    primeras cifras:
    """,
    concepts=["A5", "A7"],
)

nb.code(
    '''
    def conv_params(c, d, k, bias=True, bn=False):
        """Parámetros de una convolución k x k de c a d canales (+ BatchNorm: 2 por canal)."""
        return d * (c * k * k + (1 if bias else 0)) + (2 * d if bn else 0)


    # AlexNet de torchvision ("one weird trick" con 256 filtros en conv4): (C, D, k) de cada
    # CONV y (entradas, salidas) de cada FC
    convs = [(3, 64, 11), (64, 192, 5), (192, 384, 3), (384, 256, 3), (256, 256, 3)]
    fcs = [(256 * 6 * 6, 4096), (4096, 4096), (4096, 1000)]
    tv_alexnet = sum(conv_params(*c) for c in convs) + sum(o * (i + 1) for i, o in fcs)


    # GoogLeNet de torchvision: convoluciones sin sesgo + BatchNorm, y 3 x 3 en vez de 5 x 5
    def bn_conv(c, d, k):
        return conv_params(c, d, k, bias=False, bn=True)


    inception_table = [  # tabla 1 del artículo: bloques 3a a 5b
        (64, 96, 128, 16, 32, 32),
        (128, 128, 192, 32, 96, 64),
        (192, 96, 208, 16, 48, 64),
        (160, 112, 224, 24, 64, 64),
        (128, 128, 256, 24, 64, 64),
        (112, 144, 288, 32, 64, 64),
        (256, 160, 320, 32, 128, 128),
        (256, 160, 320, 32, 128, 128),
        (384, 192, 384, 48, 128, 128),
    ]
    stem = bn_conv(3, 64, 7) + bn_conv(64, 64, 1) + bn_conv(64, 192, 3)
    blocks, c = 0, 192
    for a, r3, b, r5, e, pp in inception_table:
        blocks += (
            bn_conv(c, a, 1)
            + bn_conv(c, r3, 1)
            + bn_conv(r3, b, 3)  # 3 x 3 ...
            + bn_conv(c, r5, 1)
            + bn_conv(r5, e, 3)  # ... y 3 x 3
            + bn_conv(c, pp, 1)
        )
        c = a + b + e + pp
    tv_googlenet = stem + blocks + 1000 * (c + 1)
    for name, ours, theirs in (
        ("AlexNet", rows["alexnet"].params, tv_alexnet),
        ("GoogLeNet", rows["googlenet"].params, tv_googlenet),
    ):
        print(
            f"{name:<10} artículo (cnncourse) {spaced(ours):>11}   torchvision {spaced(theirs):>11}"
        )
    ''',
    concepts=["A5", "A7"],
)

nb.md(
    r"""
    Y las dos versiones de ResNet-50, 101 y 152, con sus multiplicaciones por imagen en miles
    de millones (G) junto a las de la tabla 1 del artículo, que da un solo decimal. La v1
    queda a menos de 0.1 G de cada cifra del artículo; la v1.5, entre 0.2 y 0.3 G por encima.
    Cada bloque que reduce el tamaño cuesta $77\,070\,336$ multiplicaciones más en la v1.5
    (su primera $1 \times 1$, p. ej. $128 \cdot 56 \cdot 56 \cdot 256$ en vez de
    $128 \cdot 28 \cdot 28 \cdot 256$), y son tres:
    """,
    concepts=["A8"],
)

nb.code(
    """
    TABLE_1 = {"resnet50": 3.8, "resnet101": 7.6, "resnet152": 11.3}  # He et al. 2015, en G
    head = ("", "parámetros v1.5", "parámetros v1", "G v1.5", "G v1", "G tabla 1")
    print(f"{head[0]:<11}{head[1]:>17}{head[2]:>15}{head[3]:>8}{head[4]:>7}{head[5]:>11}")
    for name, paper in TABLE_1.items():
        v15 = architectures.BUILDERS[name]()  # stride en la 3 x 3, como las bibliotecas
        v1 = architectures.BUILDERS[name](stride_on="1x1")  # stride en la 1 x 1, el artículo
        print(
            f"{name:<11}{spaced(v15.count_params()):>17}{spaced(v1.count_params()):>15}"
            f"{v15.macs() / 1e9:>8.2f}{v1.macs() / 1e9:>7.2f}{paper:>11}"
        )
    extra = v15.macs() - v1.macs()  # lo mismo en las tres: los mismos tres bloques
    print(f"v1.5 - v1: {spaced(extra)} multiplicaciones = 3 · {spaced(extra // 3)}")
    del v15, v1
    """,
    concepts=["A8"],
)

nb.md(
    r"""
    La lección: un artículo, su figura, su tabla y el código que lo acompaña (o el de otros)
    pueden no coincidir. Antes de comparar números, averigua **qué versión** de la red
    describe cada fuente: mira el texto, las tablas y, si las hay, las formas de cada capa.
    """,
    concepts=["A5", "A7", "A8"],
)
optional(first_optional)

nb.md(
    r"""
    ## Resumen

    * Una CNN se compone de capas **CONV**, **POOL**, **ReLU** ($\max(0, x)$, la no linealidad
      sin la que apilar capas no serviría) y **FC**; entre las CONV y las FC, un `Flatten`.
    * El patrón más común es
      $\mathtt{INPUT} \to [[\mathtt{CONV} \to \mathtt{ReLU}] * N \to \mathtt{POOL?}] * M \to
      [\mathtt{FC} \to \mathtt{ReLU}] * K \to \mathtt{FC}$; con $N$, $M$ y $K$ salen el
      modelo lineal, el MLP y las CNN del tema. La última FC da las puntuaciones de cada
      clase, sin ReLU.
    * **LeNet-5** (1998): dos CONV + POOL y un bloque FC, $61\,706$ parámetros en su versión
      actual ($60\,000$ en el artículo); entrenada unos segundos ya reconoce más del 90 % de
      los dígitos de prueba, y el comando `python -m cnncourse train-digits` pasa de 0.97.
    * **AlexNet** (2012): 8 capas con pesos (5 CONV + 3 FC), ReLU, dropout, dos GPU (grupos);
      61 millones de parámetros. **VGG** (2014): bloques de convoluciones $3 \times 3$, hasta
      19 capas; 138 millones de parámetros en VGG-16, casi todos en las FC.
    * **GoogLeNet** (2014): bloques inception de 4 caminos que se concatenan, convoluciones
      $1 \times 1$ para reducir canales y global average pooling: 22 capas con 7 millones de
      parámetros.
    * **ResNet** (2015): bloques $\mathbf{y} = \mathrm{ReLU}(F(\mathbf{x}) + \mathbf{x})$, con
      una $1 \times 1$ en el atajo cuando cambia la forma. El atajo devuelve el gradiente sin
      multiplicarlo por ningún peso (la ReLU de después de la suma anula una parte; en la
      ResNet pre-activación, $\mathbf{x} + F(\mathbf{x})$, llega entero), así que no se
      desvanece hasta las primeras capas: por eso se pueden entrenar 152 capas.
    * Las versiones de las bibliotecas (torchvision) no siempre son las de los artículos
      (AlexNet, GoogLeNet, el stride de las ResNet-50, 101 y 152): comprueba qué red se
      describe antes de comparar números.

    **Para saber más:** *Dive into Deep Learning*, capítulo "Modern Convolutional Neural
    Networks"; los artículos de LeNet-5 (LeCun et al. 1998), AlexNet (Krizhevsky et al. 2012),
    VGG (Simonyan y Zisserman 2014), GoogLeNet (Szegedy et al. 2014) y ResNet (He et al.
    2015).
    """,
    grade_id="nb06-md-summary",
)

if __name__ == "__main__":
    print(nb.write("06_architectures.ipynb"))
