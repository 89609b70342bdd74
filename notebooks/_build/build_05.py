"""Source of notebooks/05_pooling.ipynb (pooling P1-P4, invariance, max-pool backward)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nbbuild import Notebook  # noqa: E402

nb = Notebook("nb05")

nb.md(
    r"""
    # Cuaderno 5 — Pooling

    **Objetivos.** Al terminar este cuaderno sabrás:

    1. por qué LeNet-5 alterna convoluciones con otra operación, el *pooling*, y qué gana al
       reducir el volumen (menos valores, menos cálculo, un campo receptivo mayor);
    2. qué es el pooling: una ventana con un tamaño, un stride y una operación, **sin
       parámetros**, que trata cada canal por separado;
    3. programar el max, average y min pooling con bucles, con stride y padding;
    4. por qué el pooling hace que la red tolere pequeños desplazamientos de la entrada, y
       cuándo deja de hacerlo;
    5. programar el *global pooling*, que convierte un volumen en un vector tan largo como su
       profundidad;
    6. cómo pasa el gradiente hacia atrás por un max pooling (qué entrada lo recibe),
       programarlo y comprobarlo con el gradiente numérico.

    Los ejercicios calificados están marcados con ✏️. Escribe tu código donde pone
    `# ESCRIBE AQUÍ TU CÓDIGO` (borra la línea `raise NotImplementedError()` que lo acompaña)
    y ejecuta la celda de comprobación que va justo después: te dice si vas bien y, si no, qué
    error típico parece que has cometido. Al calificar se ejecutan además comprobaciones
    ocultas con otros tamaños y casos límite; las reglas de cada enunciado (qué devolver, qué
    no usar) ya las comprueba la celda de comprobación.
    """,
    grade_id="nb05-md-goals",
)

nb.code(
    """
    # Preparación: ejecuta esta celda primero.
    import matplotlib.pyplot as plt
    import numpy as np

    import cnncourse
    import cnncourse._grading as checks  # pistas de las comprobaciones (no lo modifiques)
    from cnncourse import data, plotting
    from cnncourse.arithmetic import Geometry, draw_arithmetic, draw_pool_step, pool_step
    from cnncourse.widgets import pool_arithmetic_explorer

    np.set_printoptions(precision=3, suppress=True)
    rng = np.random.default_rng(0)
    photo = data.load_sample_image(gray=True)  # Grace Hopper, en escala de grises (H, W)
    """,
    locked=True,
    grade_id="nb05-setup",
)

# --------------------------------------------------------------------------------------
# 1. LeNet-5 (P1)
# --------------------------------------------------------------------------------------
nb.md(
    r"""
    ## 1. ¿Por qué LeNet-5 hace pooling?

    > Si observamos la arquitectura de **LeNet5** propuesta por Yann LeCun podemos ver que,
    > además de convoluciones, existe otro tipo de operación, el **pooling**.

    LeNet-5 (LeCun et al., 1998) reconoce dígitos escritos a mano en imágenes de
    $32 \times 32$. Sus capas alternan convoluciones (C1, C3, C5) con capas que reducen a la
    mitad el alto y el ancho de cada mapa de características (S2, S4). Las formas van en el
    orden de NumPy, `(C, H, W)`, como en la tabla de notación del cuaderno 2 (la clase escribe
    $C \times W \times H$; aquí $H = W$ y los números no cambian):

    | capa | qué hace | forma de la salida |
    |---|---|---|
    | entrada | imagen en gris | `(1, 32, 32)` |
    | C1 | 6 filtros de $5 \times 5$ | `(6, 28, 28)` |
    | S2 | pooling $2 \times 2$, stride 2 | `(6, 14, 14)` |
    | C3 | 16 filtros de $5 \times 5$ (sobre 6 canales) | `(16, 10, 10)` |
    | S4 | pooling $2 \times 2$, stride 2 | `(16, 5, 5)` |
    | C5 | 120 filtros de $5 \times 5$ | `(120, 1, 1)` |
    | F6 y salida | capa densa de 84 neuronas y 10 unidades de salida | `(84,)`, `(10,)` |

    Una nota histórica: en el artículo original, S2 y S4 sumaban los 4 valores de cada
    ventana, multiplicaban por un coeficiente entrenable y sumaban un sesgo, y C3 no conectaba
    cada filtro con los 6 canales (60 conexiones en lugar de 96: 1516 parámetros, no 2416). La
    capa de salida tampoco era densa: eran 10 unidades de base radial (RBF). La función de
    activación era una tangente hiperbólica escalada. El S2 original se parece más a un
    *average pooling* (una suma escalada) que a un máximo. El max pooling ya se usaba antes
    de 2012 (Jarrett et al., 2009; Cireşan et al., 2011); AlexNet (2012) lo popularizó.

    Aquí usamos el máximo, **sin parámetros**: es la primera operación que cita la clase y la
    más habitual hoy entre convoluciones. Conectamos C3 con los 6 canales, como las versiones
    actuales, y tras cada convolución ponemos la activación de la clase, la **ReLU**,
    $\mathrm{ReLU}(z) = \max(0, z)$, que deja los positivos y pone a 0 los negativos. Queda
    INPUT → [CONV → ReLU → POOL]\*2 → [FC → ReLU]\*2 → FC, un caso del patrón de
    arquitecturas de la clase (cuaderno 6), en el que C5, una convolución que cubre entero su
    mapa de entrada, hace de FC. La LeNet-5 de `cnncourse.architectures` que entrenarás en el
    cuaderno 6 usa también la ReLU, pero *average pooling*, más cercano al S2 original. Las
    formas y los parámetros no cambian: el pooling no tiene parámetros y su salida mide lo
    mismo con cualquier operación. Con pesos aleatorios (aquí solo nos interesan las formas):
    """,
    concepts=["P1"],
)

nb.code(
    """
    x = rng.normal(size=(1, 32, 32))  # una "imagen" de 32 x 32 aleatoria
    lenet = [  # (nombre, tipo, filtros (D, C, h, w))
        ("C1", "conv", rng.normal(size=(6, 1, 5, 5)) / 5),
        ("S2", "pool", None),
        ("C3", "conv", rng.normal(size=(16, 6, 5, 5)) / 12),
        ("S4", "pool", None),
        ("C5", "conv", rng.normal(size=(120, 16, 5, 5)) / 20),
    ]


    def spaced(n):
        return f"{n:_}".replace("_", " ")  # 2416 -> "2 416"


    print(f"{'capa':<9}{'forma':<16}{'valores':>8}{'parámetros':>12}")
    print(f"{'entrada':<9}{str(x.shape):<16}{spaced(x.size):>8}{0:>12}")
    a = x
    for name, kind, u in lenet:
        if kind == "conv":
            a = np.maximum(cnncourse.conv2d(a, u, bias=np.zeros(len(u))), 0)  # ReLU
            params = u.size + len(u)  # D·(C·h·w) pesos + D sesgos
        else:
            a = cnncourse.pool2d(a, kernel_size=2, stride=2, mode="max")
            params = 0  # el pooling no tiene nada que aprender
        print(f"{name:<9}{str(a.shape):<16}{spaced(a.size):>8}{spaced(params):>12}")
    """,
    concepts=["P1"],
)

nb.md(
    r"""
    Cada pooling divide entre 4 el número de valores ($6 \cdot 28 \cdot 28 = 4704 \to 1176$)
    sin añadir ni un parámetro. ¿Qué gana LeNet-5 con eso?

    * **Menos cálculo en las capas siguientes.** Una convolución hace
      $D \cdot H_o \cdot W_o \cdot C \cdot h \cdot w$ multiplicaciones (y otras tantas sumas;
      cuaderno 4): una por cada peso de cada filtro y por cada posición de la ventana. C3
      recorre mapas de $14 \times 14$ en vez de $28 \times 28$, así que su salida pasa de
      $24 \times 24$ a $10 \times 10$ posiciones: $576 / 100 = 5.76$ veces menos cálculo.
    * **Un campo receptivo mayor.** Cada salida de C3 depende de una región de la imagen de
      entrada (su *campo receptivo*). Sin pooling, dos convoluciones de $5 \times 5$ seguidas
      ven $9 \times 9$ píxeles; con el pooling en medio, $14 \times 14$. Las capas profundas
      ven trozos cada vez más grandes de la imagen: la composición jerárquica del cuaderno 1
      (bordes → formas → partes → objetos).
    * **Tolerancia a pequeños desplazamientos**: lo veremos en la sección 4.
    """,
    concepts=["P1"],
)

nb.code(
    '''
    def conv_cost(D, C, k, Ho, Wo):
        """D·Ho·Wo·C·k·k multiplicaciones (y sumas) de una convolución: una por peso y posición."""
        return D * Ho * Wo * C * k * k


    with_pool = conv_cost(16, 6, 5, 10, 10)  # C3 sobre S2: mapas de 14 x 14
    without = conv_cost(16, 6, 5, 24, 24)  # C3 directamente sobre C1: mapas de 28 x 28
    print(
        f"C3 con pooling antes: {spaced(with_pool)} multiplicaciones; "
        f"sin pooling: {spaced(without)} ({without / with_pool:.2f} veces más)"
    )
    # campo receptivo: un píxel de C3 ve 5 x 5 de S2; cada celda de S2 ve 2 x 2 de C1, y C1 5 x 5
    print(
        "campo receptivo de C3 sin pooling:",
        5 + 5 - 1,
        "x",
        5 + 5 - 1,
        "| con pooling:",
        2 * 5 + 5 - 1,
        "x",
        2 * 5 + 5 - 1,
    )
    ''',
    concepts=["P1"],
)

# --------------------------------------------------------------------------------------
# 2. Pooling (P2)
# --------------------------------------------------------------------------------------
nb.md(
    r"""
    ## 2. El pooling

    > El objetivo de esta operación es reducir el volumen de entrada agrupando valores y
    > conservando la estructura global.
    >
    > Funciona de manera muy similar a la convolución pero esta operación **no tiene
    > parámetros**. En este caso no hay filtros, hay una ventana que se comporta de manera
    > similar.
    >
    > Hiperparámetros:
    > - Tamaño de la ventana.
    > - Stride.
    > - Operación.

    La ventana se desliza por la entrada como un kernel, pero en vez de multiplicar por unos
    pesos y sumar, **resume** los valores que cubre con una operación fija (el máximo, la
    media o el mínimo). No hay nada que aprender: el entrenamiento no cambia una capa de
    pooling.

    * **Tamaño de la ventana** $k \times k$ (casi siempre cuadrada; $k = 2$ es lo más común).
    * **Stride** $s$ (el salto): cuántas filas o columnas avanza la ventana de una posición a
      la siguiente. Lo habitual es $s = k$, ventanas que no se solapan; por eso en
      `cnncourse.pool2d` el stride por defecto es `kernel_size`.
    * **Operación**: máximo, media o mínimo (sección 3).

    **Cada canal se agrupa por separado**: un volumen `(C, H, W)` da un volumen
    `(C, Ho, Wo)`, con la misma profundidad. (La convolución, en cambio, suma los canales.)

    El tamaño de la salida es el de la convolución (la fórmula del cuaderno 4), con una
    ventana $w = h = k$ en lugar del kernel:

    $$\left(\frac{W+2p-w}{s}+1\right) \times \left(\frac{H+2p-h}{s}+1\right),$$

    redondeando hacia abajo. En el orden de NumPy:
    $H_o = \left\lfloor \frac{H + 2p - k}{s} \right\rfloor + 1$ y
    $W_o = \left\lfloor \frac{W + 2p - k}{s} \right\rfloor + 1$.
    """,
    concepts=["P2"],
)

nb.code(
    r"""
    examples = {
        "S2 de LeNet-5: 28 x 28, ventana 2, stride 2": Geometry(28, 2, stride=2),
        "7 x 7, ventana 2, stride 2 (la división no es exacta)": Geometry(7, 2, stride=2),
        "ResNet: 112 x 112, ventana 3, stride 2, padding 1": Geometry(112, 3, padding=1, stride=2),
    }
    for title, g in examples.items():
        print(title)
        print(g.formula_es())
        print(g.message_es, "\n")
    volume = rng.normal(size=(6, 28, 28))
    print(
        "volumen",
        volume.shape,
        "-> pool2d ->",
        cnncourse.pool2d(volume, 2).shape,
        " (la profundidad no cambia)",
    )

    fig, axes = plt.subplots(2, 2, figsize=(8, 7.5))
    draw_arithmetic(axes[0, 0], axes[0, 1], Geometry(6, 2, stride=2), step=4)
    draw_arithmetic(axes[1, 0], axes[1, 1], Geometry(5, 3, padding=1, stride=2), step=1)
    for ax, what in (
        (axes[0, 0], "ventana 2 × 2, stride 2, sin padding"),
        (axes[1, 0], "ventana 3 × 3, stride 2, padding 1"),
    ):
        ax.set_title(what + "\n" + ax.get_title(), fontsize=10)
    fig.tight_layout()
    """,
    concepts=["P2"],
)

nb.md(
    r"""
    Las posiciones de la ventana se numeran por filas de la salida: la **posición $t$**
    ($t = 0, 1, \dots, H_o W_o - 1$) produce la celda $(j, i)$ de la salida, con
    $j = \lfloor t / W_o \rfloor$ e $i = t \bmod W_o$, y su ventana empieza en la fila
    $j \cdot s$ y la columna $i \cdot s$ de la entrada (con su padding). Arriba, la ventana de
    una posición (naranja) y la celda de la salida que produce (verde oscuro): la posición
    $t = 4$ de la primera figura y la $t = 1$ de la segunda. Con ventana 3 y stride 2 las
    ventanas se solapan: la primera columna de la ventana naranja la cubre también la ventana
    de la posición anterior, y la última, la de la siguiente.

    Qué valor tiene el padding en un pooling depende de la operación: lo vemos al final de la
    sección 3, después de las tres operaciones.
    """,
    concepts=["P2"],
)

# --------------------------------------------------------------------------------------
# 3. Operations (P3) and exercise 1
# --------------------------------------------------------------------------------------
nb.md(
    r"""
    ## 3. Máximo, media y mínimo

    > Operaciones más típicas:
    > - Max pooling: Máximo de los valores.
    > - Average pooling: Media de los valores.
    > - Min pooling: Mínimo de los valores.

    > Ejemplo con ventana de tamaño 2 y stride de 2 (valores más típicos).
    >
    > Se muestran 3 operaciones para ejemplificar, pero se ha de seleccionar solo una de ellas.

    Es decir, una capa de pooling usa **una** operación; aquí calculamos las tres para
    compararlas. La entrada es de $4 \times 4$: con ventana 2 y stride 2 la ventana tiene
    cuatro posiciones, $t = 0, 1, 2, 3$, que no se solapan, y la salida es de $2 \times 2$.
    """,
    concepts=["P3"],
)

nb.code(
    r"""
    x_small = np.array([[1, 3, 5, 6], [2, 9, 7, 8], [0, 0, 1, 1], [0, 4, 1, 1]], dtype=float)
    for mode in ("max", "avg", "min"):
        print("\n".join(pool_step(x_small, t, mode=mode).text for t in range(4)))
        print(f"cnncourse.pool2d(x, 2, mode={mode!r}) =")
        print(cnncourse.pool2d(x_small, 2, mode=mode), "\n")

    fig, axes = plt.subplots(3, 2, figsize=(6.5, 9))
    for row, mode in zip(axes, ("max", "avg", "min"), strict=True):
        draw_pool_step(row[0], row[1], x_small, 3, mode=mode)  # la última posición, t = 3
    fig.tight_layout()
    """,
    concepts=["P3"],
)

nb.md(
    r"""
    En la figura, la ventana de la última posición, $t = 3$, en naranja, y la salida ya
    completa; para el máximo y el mínimo, el valor elegido va en negrita y recuadrado en
    rojo. Fíjate en la ventana de abajo a la derecha: sus cuatro valores son iguales, así que
    el máximo, la media y el mínimo coinciden.

    ¿Qué hace cada operación con una imagen de verdad? Con ventanas de $4 \times 4$ la foto
    pasa de $600 \times 512$ a $150 \times 128$ píxeles (16 veces menos valores) y se sigue
    reconociendo: eso es «conservar la estructura global». El máximo se queda con lo más claro
    de cada ventana (los detalles claros se ensanchan), el mínimo con lo más oscuro y la media
    suaviza.
    """,
    concepts=["P3"],
)

nb.code(
    """
    pooled_photos = {"original": photo}
    for mode, title in (("max", "max"), ("avg", "average"), ("min", "min")):
        pooled_photos[f"{title} pooling 4 × 4"] = cnncourse.pool2d(photo, 4, mode=mode)
    plotting.show_images(pooled_photos, size=3.0);
    """,
    concepts=["P2", "P3"],
)

nb.md(
    r"""
    ### El padding y el redondeo

    **¿Qué valor tiene el padding en un pooling?** Es poco frecuente, pero existe: el primer
    pooling de ResNet, tal como lo escriben PyTorch y `cnncourse`, es $3 \times 3$, stride 2,
    padding 1. En `cnncourse`, como en PyTorch para el máximo (PyTorch no tiene min pooling;
    se obtiene como $-\mathrm{maxpool}(-x)$), el padding **nunca puede ser el resultado**:
    para el máximo se rellena con $-\infty$ y para el mínimo con $+\infty$, de modo que el
    máximo y el mínimo salen siempre de la entrada. La media, en cambio, rellena con ceros y
    divide entre el tamaño **completo** de la ventana, $k \cdot k$, con los ceros del padding
    incluidos (lo que PyTorch llama `count_include_pad=True`, su opción por defecto). Una
    entrada con todos los valores negativos lo deja claro:
    """,
    concepts=["P2", "P3"],
)

nb.code(
    r"""
    negative = -np.array([[3.0, 1.0, 4.0], [1.0, 5.0, 9.0], [2.0, 6.0, 5.0]])
    for mode in ("max", "avg"):
        print(pool_step(negative, 0, kernel_size=2, padding=1, mode=mode).text)
    print("cnncourse.pool2d(negative, 2, padding=1) =\n", cnncourse.pool2d(negative, 2, padding=1))
    print("si un cero del padding pudiera ser el máximo, la primera fila sería [0, 0]:")
    print("valores que no están en la entrada.")
    """,
    concepts=["P2", "P3"],
)

nb.md(
    r"""
    **¿Y si la última ventana no cabe entera?** La fórmula redondea hacia abajo: una ventana
    que se saldría de la entrada (con su padding) no produce salida, y las últimas filas o
    columnas se quedan sin usar, como en el ejemplo de $7 \times 7$ de la sección 2. Algunas
    bibliotecas pueden redondear hacia arriba,
    $H_o = \left\lceil \frac{H + 2p - k}{s} \right\rceil + 1$: la última ventana se sale
    del borde y solo cuenta las celdas que quedan dentro. En PyTorch es la opción
    `ceil_mode=True` (por defecto, `False`). Caffe, la biblioteca de los primeros modelos
    preentrenados (los ResNet que publicaron sus autores, el GoogLeNet de BVLC), redondeaba
    siempre hacia arriba. Por eso en esos modelos, y en el GoogLeNet de torchvision, que usa
    `ceil_mode=True`, un max pooling $3 \times 3$ con stride 2 y **sin padding** pasa de
    $112 \times 112$ a $56 \times 56$, como en las tablas de los dos artículos; hacia abajo
    saldría 55. Redondeando hacia abajo con padding 1, como el ResNet de torchvision y el
    GoogLeNet de `cnncourse` (cuaderno 6), la salida mide lo mismo, aunque las ventanas
    empiezan una fila y una columna antes. En este curso, como en `cnncourse.pool2d`, siempre
    hacia abajo.
    """,
    concepts=["P2"],
)

nb.code(
    r"""
    import math  # math.floor redondea hacia abajo y math.ceil hacia arriba

    print("salida de los cuatro max pooling 3 x 3 con stride 2 de GoogLeNet:")
    print(f"{'entrada':>8}{'abajo, p = 0':>15}{'arriba, p = 0':>15}{'abajo, p = 1':>15}")
    for n in (112, 56, 28, 14):
        down = math.floor((n - 3) / 2) + 1
        up = math.ceil((n - 3) / 2) + 1
        padded = math.floor((n + 2 * 1 - 3) / 2) + 1
        print(f"{n:>8}{down:>15}{up:>15}{padded:>15}")

    x5 = np.arange(25.0).reshape(5, 5)
    print("\nx5 =\n", x5)
    print("ventana 2, stride 2, hacia abajo: cnncourse.pool2d(x5, 2) =\n", cnncourse.pool2d(x5, 2))
    # hacia arriba: la última fila y la última columna de ventanas se salen del borde; lo que
    # queda fuera vale -inf y no cuenta (es lo que da PyTorch con ceil_mode=True)
    outside = np.pad(x5, ((0, 1), (0, 1)), constant_values=-np.inf)
    print("hacia arriba (como ceil_mode=True) =\n", cnncourse.pool2d(outside, 2))
    """,
    concepts=["P2"],
)

nb.md(
    r"""
    ✏️ **Ejercicio 1 (3 puntos).** Implementa
    `pool2d_loops(x, kernel_size=2, stride=None, padding=0, mode="max")` para una matriz `x` de
    forma `(H, W)`, con ventanas cuadradas de `kernel_size` × `kernel_size` (enteros), y
    `mode` igual a `"max"`, `"avg"` o `"min"`. Se comporta como `cnncourse.pool2d`:

    * `stride=None` significa stride igual a `kernel_size`;
    * la salida tiene forma $(H_o, W_o)$ con $H_o = \lfloor (H + 2p - k)/s \rfloor + 1$
      (hacia abajo), y la ventana de la salida $(j, i)$ empieza en la fila $j \cdot s$ y la
      columna $i \cdot s$ de la entrada con padding;
    * el padding **nunca puede ser el resultado** del máximo ni del mínimo (rellena con
      `-np.inf` o `np.inf`), y la media divide entre $k \cdot k$, con los ceros del padding
      incluidos.

    Puedes usar NumPy sobre cada ventana (`window.max()`, `window.sum()`) y `np.pad` o
    `np.full` para el padding. Las reglas del ejercicio (las comprueba la celda de
    comprobación de abajo y también las comprobaciones ocultas):

    * devuelve un `np.ndarray` **nuevo** de tipo `float`, de forma $(H_o, W_o)$ (no una
      lista);
    * no modifiques `x` (nada de `x[...] = ...` ni `x -= ...` sobre la entrada);
    * no uses `cnncourse.pool2d` ni otro pooling ya hecho (`scipy.ndimage.maximum_filter`,
      `torch.nn.functional.max_pool2d`, `torch.nn.MaxPool2d`...), ni una convolución ya hecha
      (`cnncourse.conv2d`, `np.convolve`, `scipy.signal`...), tampoco desde una función
      auxiliar: la celda de comprobación lo comprueba mientras tu función se ejecuta.
    """,
    concepts=["P2", "P3"],
)

nb.solution(
    '''
    def pool2d_loops(x, kernel_size=2, stride=None, padding=0, mode="max"):
        """Max, average o min pooling de x (H, W): ventanas k x k, stride s (si es None, k) y
        padding p, que nunca es el resultado (la media divide entre k*k, padding incluido)."""
        ### BEGIN SOLUTION
        k = kernel_size
        s = k if stride is None else stride
        p = padding
        H, W = x.shape
        fill = {"max": -np.inf, "min": np.inf, "avg": 0.0}[mode]
        xp = np.full((H + 2 * p, W + 2 * p), fill)
        xp[p : p + H, p : p + W] = x
        Ho = (H + 2 * p - k) // s + 1
        Wo = (W + 2 * p - k) // s + 1
        o = np.zeros((Ho, Wo))
        for j in range(Ho):
            for i in range(Wo):
                window = xp[j * s : j * s + k, i * s : i * s + k]
                if mode == "max":
                    o[j, i] = window.max()
                elif mode == "min":
                    o[j, i] = window.min()
                else:
                    o[j, i] = window.sum() / (k * k)
        return o
        ### END SOLUTION
    ''',
    grade_id="pool2d_loops",
    concepts=["P3"],
)

nb.tests(
    r'''
    """Comprueba pool2d_loops con el ejemplo 4 × 4 de la sección 3 y con stride y padding."""
    with checks.exercise(globals(), "pool2d_loops"):
        x = np.array([[1, 3, 5, 6], [2, 9, 7, 8], [0, 0, 1, 1], [0, 4, 1, 1]], dtype=float)
        expected = {
            "max": np.array([[9.0, 8.0], [4.0, 1.0]]),
            "avg": np.array([[3.75, 6.5], [1.0, 1.0]]),
            "min": np.array([[1.0, 5.0], [0.0, 1.0]]),
        }
        cases = [(x, 2, None, 0, mode, exp) for mode, exp in expected.items()]
        # 3 x 5, todos negativos
        y = -np.array([[3, 1, 4, 1, 5], [9, 2, 6, 5, 3], [5, 8, 9, 7, 9]], dtype=float)
        for xc, k, s, p, mode in [
            (y, 2, 1, 0, "max"),  # stride 1: ventanas solapadas
            (y, 3, 2, 0, "avg"),  # ventana 3, stride 2
            (-y, 2, 3, 0, "min"),  # stride 3, mayor que la ventana
            (y, 1, None, 0, "avg"),  # ventana 1 x 1: la salida es la entrada
            (y, 2, None, 1, "max"),  # ventanas negativas: el padding no es nunca el máximo
            (-y, 2, None, 1, "min"),  # ... ni el mínimo en ventanas positivas
            (y, 2, None, 1, "avg"),  # la media divide entre 2 x 2 = 4, padding incluido
        ]:
            cases.append((xc, k, s, p, mode, cnncourse.pool2d(xc, k, s, p, mode)))
        for xc, k, s, p, mode, exp in cases:
            call = f"pool2d_loops(x, kernel_size={k}, stride={s}, padding={p}, mode={mode!r})"
            # las reglas del enunciado: ni pooling ni convolución ya hechos, x intacta y un
            # np.ndarray de tipo float
            o = checks.check_pool_rules(
                pool2d_loops, (xc, k, s, p, mode), "pool2d_loops", globals(), checks.explain_pool2d
            )
            hint = checks.explain_pool2d(o, xc, k, s, p, mode)
            assert o.shape == exp.shape, (
                f"{hint}\n{call} con x de forma {xc.shape}: forma esperada {exp.shape}, "
                f"recibida {o.shape}."
            )
            checks.assert_close(o, exp, hint=hint, context=f"Con x =\n{xc}\ny {call}:")
    print(
        "¡Bien! pool2d_loops reproduce el ejemplo 4 × 4 de la sección 3, con stride y con padding."
    )
    ### BEGIN HIDDEN TESTS
    import cnncourse._grading as _grading

    _grading.trusted(globals()).hidden_pool2d(pool2d_loops, globals())
    ### END HIDDEN TESTS
    ''',
    grade_id="test_pool2d_loops",
    points=3,
)

nb.md(
    r"""
    Tu función y `cnncourse.pool2d` deben coincidir también en un recorte de la foto, con
    ventanas solapadas y padding (una diferencia del orden de $10^{-14}$ es un error de
    redondeo: la media se calcula con las operaciones en otro orden):
    """,
    concepts=["P3"],
)

nb.code(
    """
    crop = photo[170:234, 160:224].astype(float)
    for k, s, p in ((2, None, 0), (3, 2, 1)):
        for mode in ("max", "avg", "min"):
            mine = pool2d_loops(crop, k, s, p, mode)
            diff = np.max(np.abs(mine - cnncourse.pool2d(crop, k, s, p, mode)))
            print(
                f"ventana {k}, stride {s}, padding {p}, {mode}: {crop.shape} -> {mine.shape}, "
                f"máxima diferencia con cnncourse.pool2d = {diff:.2g}"
            )
    """,
    concepts=["P3"],
)

# --------------------------------------------------------------------------------------
# 4. Translation invariance
# --------------------------------------------------------------------------------------
nb.md(
    r"""
    ## 4. Invarianza a pequeños desplazamientos

    En el cuaderno 1 vimos que la convolución es **equivariante**: si el patrón se mueve, el
    mapa de características se mueve con él. El pooling añade algo de **invarianza**: si el
    patrón se mueve poco, el resultado del pooling no cambia.

    Lo comprobamos con una barra vertical de 3 píxeles en una imagen de $12 \times 12$, un
    kernel que detecta líneas verticales claras (la columna central suma, las de los lados
    restan) y un max pooling $2 \times 2$. Tres versiones de la imagen: la original, la barra
    desplazada **1 píxel** a la derecha y desplazada **otro píxel más**.
    """,
    concepts=["I1", "P3"],
)

nb.code(
    r"""
    bar = np.zeros((12, 12))
    bar[4:7, 3] = 1.0  # barra vertical: filas 4-6, columna 3
    images = {
        "original": bar,
        "1 px a la derecha": np.roll(bar, 1, axis=1),
        "2 px a la derecha": np.roll(bar, 2, axis=1),
    }
    detector = np.array([[-1.0, 2.0, -1.0]] * 3)  # responde a líneas verticales claras
    maps = {name: cnncourse.conv2d(img, detector) for name, img in images.items()}
    pooled = {name: cnncourse.pool2d(m, 2, mode="max") for name, m in maps.items()}

    for name in images:
        # (fila, columna) del máximo del mapa: np.argmax y np.unravel_index, sección 6
        peak = np.unravel_index(np.argmax(maps[name]), maps[name].shape)
        diff_map = np.sum(maps[name] != maps["original"])
        diff_pool = np.sum(pooled[name] != pooled["original"])
        print(
            f"{name:>18}: máximo del mapa en {tuple(int(v) for v in peak)}; "
            f"celdas distintas de la original: mapa {diff_map}/{maps[name].size}, "
            f"tras el max pooling {diff_pool}/{pooled[name].size}; "
            f"máximo global {maps[name].max()}"
        )

    lim = max(np.abs(m).max() for m in maps.values())
    fig, axes = plt.subplots(3, 3, figsize=(9, 9.4))
    for row, name in zip(axes, images, strict=True):
        row[0].imshow(images[name], cmap="gray")
        row[0].set_title(f"{name}\nentrada 12 × 12", fontsize=10)
        row[1].imshow(maps[name], cmap="RdBu_r", vmin=-lim, vmax=lim)
        row[1].set_title(
            "mapa de características 10 × 10\n(líneas: ventanas del pooling)", fontsize=10
        )
        for c in np.arange(-0.5, 10, 2):  # bordes de las ventanas 2 x 2
            row[1].axvline(c, color="0.6", lw=0.8)
            row[1].axhline(c, color="0.6", lw=0.8)
        row[2].imshow(pooled[name], cmap="RdBu_r", vmin=-lim, vmax=lim)
        row[2].set_title("max pooling 2 × 2 → 5 × 5", fontsize=10)
        for ax in row:
            ax.set_xticks([])
            ax.set_yticks([])
    fig.tight_layout()
    """,
    concepts=["I1", "P3"],
)

nb.md(
    r"""
    Lo que muestran la figura y los números:

    * **Antes del pooling** los tres mapas son distintos: la respuesta máxima (rojo intenso)
      está en la columna 2, luego en la 3, luego en la 4. La convolución es equivariante, no
      invariante.
    * **Este desplazamiento de 1 píxel no cambia el max pooling** porque la respuesta sigue
      en la misma ventana: las columnas 2 y 3 del mapa caen en la misma ventana $2 \times 2$
      y el máximo de la ventana no cambia. 1 píxel hacia la izquierda (a la columna 1) ya la
      habría sacado de ella.
    * **Con el segundo píxel, el pooling sí cambia**: la respuesta pasa de la columna 3 a la 4,
      **cruza el borde de una ventana** y salta a la celda de al lado. Ese segundo
      desplazamiento también es de un solo píxel: el pooling $2 \times 2$ absorbe los
      desplazamientos que no sacan la respuesta de su ventana, no todos. Es invarianza a
      desplazamientos **pequeños**, y por eso las CNN apilan varias etapas de pooling.
    * **El máximo global** (6) es el mismo en los tres casos: resumir todo el mapa en un
      número es invariante a cualquier desplazamiento que deje el patrón dentro de la imagen.
      Es el *global pooling* de la sección 5.

    Con una foto de verdad el efecto se mide mejor con una **correlación**: desplazamos la foto
    $d$ píxeles, calculamos sus bordes verticales (Sobel, quedándonos con la parte positiva) y
    comparamos los mapas con los de la foto sin desplazar, en las mismas coordenadas. Una
    correlación de 1 significa mapas idénticos (salvo un factor de escala y una constante).
    """,
    concepts=["I1", "P3"],
)

nb.code(
    """
    gray = photo.astype(float) / 255
    sobel_x = data.kernels_2d()["Sobel x"]


    def vertical_edges(img):
        return np.maximum(cnncourse.conv2d(img, sobel_x), 0)  # solo la parte positiva


    def pool_map(m, k, mode="max"):
        return m if k == 1 else cnncourse.pool2d(m, k, mode=mode)


    W = gray.shape[1]
    shifts = np.arange(0, 9)
    # los bordes de la foto desplazada d píxeles a la derecha, en las mismas coordenadas
    moved = [vertical_edges(gray[:, 8 - d : W - 8 - d]) for d in shifts]
    base = moved[0]
    correlation = {}
    for k in (1, 2, 4, 8):
        label = "sin pooling" if k == 1 else f"max pooling {k} × {k}"
        correlation[label] = [
            np.corrcoef(pool_map(base, k).ravel(), pool_map(m, k).ravel())[0, 1] for m in moved
        ]
    average_2 = [  # la media en vez del máximo, para comparar (no se dibuja)
        np.corrcoef(pool_map(base, 2, "avg").ravel(), pool_map(m, 2, "avg").ravel())[0, 1]
        for m in moved
    ]

    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    for label, values in correlation.items():
        ax.plot(shifts, values, marker="o", label=label)
    ax.set_xlabel("desplazamiento de la foto (píxeles)")
    ax.set_ylabel("correlación con el mapa original")
    ax.set_title("Cuanto mayor la ventana, más tolera los desplazamientos")
    ax.grid(alpha=0.3)
    ax.legend()
    for label, values in {**correlation, "average pooling 2 × 2": average_2}.items():
        print(
            f"{label:>22}: 1 px -> {values[1]:.2f}, 2 px -> {values[2]:.2f}, "
            f"4 px -> {values[4]:.2f}"
        )
    print("máximo global de cada mapa:", np.round([m.max() for m in moved], 3))
    """,
    concepts=["I1", "P3"],
)

nb.md(
    r"""
    Sin pooling, un desplazamiento de un solo píxel ya baja la correlación a unos $0.6$, y con
    tres píxeles los mapas casi no se parecen. Tras un max pooling $2 \times 2$ la caída es
    más lenta, y con $8 \times 8$ la correlación sigue cerca de $0.8$ con 4 píxeles de
    desplazamiento. Incluso con 1 píxel la correlación tras el pooling $2 \times 2$ es $0.78$,
    no 1: en una foto hay bordes por todas partes, y los que están en la última columna de una
    ventana pasan a la siguiente. Parte de la mejora se debe solo a comparar mapas más
    pequeños y suavizados: con 1 píxel, un *average pooling* $2 \times 2$ da casi lo mismo
    ($0.76$), aunque con desplazamientos mayores su correlación cae antes que la del máximo
    ($0.37$ frente a $0.47$ con 2 píxeles). El precio: cuanto mayor es la ventana, menos
    sabemos de **dónde** estaba cada borde. Las CNN reparten ese compromiso en
    varias etapas: pooling pequeño ($2 \times 2$) después de cada bloque de convoluciones.
    """,
    concepts=["I1", "P3"],
)

# --------------------------------------------------------------------------------------
# 5. Global pooling (P4) and exercise 2
# --------------------------------------------------------------------------------------
nb.md(
    r"""
    ## 5. Global pooling

    > Cuando se quiere transformar el volumen de la entrada en un vector de longitud igual a
    > la profundidad, se utiliza el **Global Pooling**.
    > - Al igual que el pooling tradicional tiene diferentes operaciones.
    > - Resume cada matriz de la entrada en un solo número.
    > - No existe el tamaño de ventana ni stride.

    Un volumen `(C, H, W)` se convierte en un vector `(C,)`: el número $c$ es la media (o el
    máximo, o el mínimo) de toda la matriz `x[c]`. Es como un pooling cuya ventana es el mapa
    entero. La longitud del vector depende solo de la profundidad $C$, **no del alto ni del
    ancho**: la misma red puede recibir imágenes de cualquier tamaño y la capa densa que va
    detrás siempre recibe $C$ valores. GoogLeNet y ResNet terminan con un *global average
    pooling* seguido solo de la capa densa de salida: sustituye a las grandes capas densas de
    AlexNet y VGG y ahorra muchos parámetros (cuaderno 6).
    """,
    concepts=["P4"],
)

nb.code(
    r"""
    k2 = data.kernels_2d()
    names = ["Sobel x", "Sobel y", "desenfoque", "enfoque"]
    bank = np.stack([k2[n] for n in names])[:, None]  # 4 filtros: (D, C, h, w) = (4, 1, 3, 3)
    for label, img in (("foto entera", gray), ("un recorte", gray[100:300, 150:400])):
        feature_maps = cnncourse.conv2d(img[None], bank)  # (4, Ho, Wo)
        vector = cnncourse.global_pool(feature_maps, "avg")
        print(
            f"{label:>12}: entrada {img.shape} -> mapas {feature_maps.shape} "
            f"-> global average pooling {vector.shape}"
        )
    full_maps = cnncourse.conv2d(gray[None], bank)
    avg, mx = cnncourse.global_pool(full_maps, "avg"), cnncourse.global_pool(full_maps, "max")
    titles = [f"{n}\nmedia {a:+.3f}, máx {m:.2f}" for n, a, m in zip(names, avg, mx, strict=True)]
    plotting.show_images(list(full_maps), titles, size=2.8, show_shape=False);
    """,
    concepts=["P4"],
)

nb.md(
    r"""
    Cada mapa se resume en un número: la media de Sobel x es casi 0 (los bordes que suben y los
    que bajan se compensan), la del desenfoque es el brillo medio de la foto. Da igual que la
    entrada sea la foto entera o un recorte: siempre 4 números, uno por filtro.

    ✏️ **Ejercicio 2 (2 puntos).** Escribe `global_pool_loops(x, mode="avg")` para un volumen
    `x` de forma `(C, H, W)`: devuelve un `np.ndarray` de tipo `float` y forma `(C,)` cuyo
    elemento `c` es la media, el máximo o el mínimo (`mode` igual a `"avg"`, `"max"` o `"min"`)
    de la matriz `x[c]`. Lo más sencillo es recorrer los canales con un bucle y usar dentro
    `x[c].mean()`, `x[c].max()` y `x[c].min()`. Las reglas (las comprueba la celda de
    comprobación de abajo y también las comprobaciones ocultas):

    * devuelve un `np.ndarray` de tipo `float` y forma `(C,)`: ni un número, ni una lista,
      ni forma `(C, 1, 1)`;
    * no modifiques `x`;
    * no uses `cnncourse.global_pool`, `cnncourse.pool2d` ni otros poolings o convoluciones
      ya hechos (`torch`, `scipy`...), tampoco desde una función auxiliar.
    """,
    concepts=["P4"],
)

nb.solution(
    '''
    def global_pool_loops(x, mode="avg"):
        """Global pooling de un volumen x (C, H, W): un número por canal, forma (C,)."""
        ### BEGIN SOLUTION
        C = x.shape[0]
        out = np.zeros(C)
        for c in range(C):
            if mode == "avg":
                out[c] = x[c].mean()
            elif mode == "max":
                out[c] = x[c].max()
            else:
                out[c] = x[c].min()
        return out
        ### END SOLUTION
    ''',
    grade_id="global_pool_loops",
    concepts=["P4"],
)

nb.tests(
    r'''
    """Comprueba global_pool_loops en un volumen (C, H, W) = (2, 3, 4) y en la salida de S4."""
    with checks.exercise(globals(), "global_pool_loops", needs=("pool2d_loops",)):
        x = np.array(
            [
                [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]],
                [[-4, 0, 2, -6], [3, -1, -8, 5], [0, 7, -2, 1]],
            ],
            dtype=float,
        )
        expected = {"avg": [6.5, -0.25], "max": [12, 7], "min": [1, -8]}
        cases = [(x, mode, np.array(exp, dtype=float)) for mode, exp in expected.items()]
        cases.append((x - 20, "max", np.array([-8.0, -13.0])))  # todos negativos
        cases.append((x[:1], "avg", np.array([6.5])))  # un solo canal: C = 1
        cases.append((x[:, :1, :1], "min", np.array([1.0, -4.0])))  # mapas de 1 x 1
        s4 = rng.normal(size=(16, 5, 5))  # la salida de S4 en LeNet-5
        cases.append((s4, "max", cnncourse.global_pool(s4, "max")))
        for xc, mode, exp in cases:
            # las reglas del enunciado: ni pooling ni convolución ya hechos, x intacta y un
            # np.ndarray de tipo float
            v = checks.check_pool_rules(
                global_pool_loops,
                (xc, mode),
                "global_pool_loops",
                globals(),
                checks.explain_global_pool,
            )
            hint = checks.explain_global_pool(v, xc, mode)
            assert v.shape == exp.shape, (
                f"{hint}\nmode={mode!r}: con x de forma (C, H, W) = {xc.shape} el resultado es "
                f"un vector de longitud C = {len(xc)}; recibida forma {v.shape}."
            )
            shown = f"x =\n{xc}" if xc.size < 50 else f"x de forma {xc.shape} (la salida de S4)"
            checks.assert_close(v, exp, hint=hint, context=f"Con {shown}\ny mode={mode!r}:")
    print("¡Bien! (2, 3, 4) -> (2,) y (16, 5, 5) -> (16,): un número por canal.")
    ### BEGIN HIDDEN TESTS
    import cnncourse._grading as _grading

    _grading.trusted(globals()).hidden_global_pool(global_pool_loops, globals())
    ### END HIDDEN TESTS
    ''',
    grade_id="test_global_pool_loops",
    points=2,
)

# --------------------------------------------------------------------------------------
# 6. Max-pool backward and exercise 3
# --------------------------------------------------------------------------------------
nb.md(
    r"""
    ## 6. El gradiente a través de un max pooling

    Para entrenar una CNN, el gradiente de la pérdida $L$ tiene que llegar, capa a capa y de la
    salida hacia la entrada, hasta los kernels de cada convolución (la retropropagación del
    cuaderno 1; en el cuaderno 2 calculamos el gradiente respecto al kernel). Una capa de
    pooling no tiene parámetros, pero está en medio del camino: recibe el gradiente respecto a
    su salida, $\partial L / \partial \mathbf{o}$ (`dout`, forma `(Ho, Wo)`), y tiene que
    devolver el gradiente respecto a su entrada, $\partial L / \partial \mathbf{x}$ (`dx`, forma
    `(H, W)`). Por la regla de la cadena,

    $$\frac{\partial L}{\partial x_{r,c}} = \sum_{j,i} \frac{\partial L}{\partial o_{j,i}}
      \cdot \frac{\partial o_{j,i}}{\partial x_{r,c}}.$$

    En un **max pooling**, $o_{j,i}$ es el valor de **una** entrada de su ventana, la del
    máximo: si movemos un poco esa entrada, la salida se mueve lo mismo; si movemos un poco
    cualquier otra, el máximo no cambia. Por tanto

    $$\frac{\partial o_{j,i}}{\partial x_{r,c}} =
      \begin{cases}
      1 & \text{si } (r, c) \text{ es la posición del máximo de la ventana } (j, i), \\
      0 & \text{en otro caso.}
      \end{cases}$$

    Es decir: **el gradiente de cada ventana va entero a la entrada que tenía el máximo** y el
    resto de la ventana recibe 0. Dos detalles:

    * **Empates.** Si varias entradas comparten el máximo, el máximo no es derivable;
      cualquier reparto es válido y el convenio (NumPy `argmax`, PyTorch) elige **la primera
      en orden de filas**; es también el de `cnncourse.pool2d_backward`. Son frecuentes tras
      una ReLU, que convierte los negativos en 0 (sección 1).
    * **Ventanas solapadas** (stride menor que la ventana). Una entrada puede ser el máximo de
      varias ventanas: la suma $\sum_{j,i}$ dice que sus gradientes **se suman**.

    (En un *average pooling*, en cambio, cada entrada de la ventana pesa $1/(k \cdot k)$ en la
    media, así que el gradiente se reparte a partes iguales: $\partial L / \partial o_{j,i}$
    dividido entre $k \cdot k$ para cada una.)

    El ejemplo $4 \times 4$ de la sección 3 con `dout` $= \begin{pmatrix}1 & 2\\3 & 4\end{pmatrix}$:
    """,
    concepts=["P3"],
)

nb.code(
    r"""
    dout_small = np.array([[1.0, 2.0], [3.0, 4.0]])
    dx_small = cnncourse.pool2d_backward(dout_small, x_small, 2, mode="max")
    print("x =\n", x_small, "\ndout =\n", dout_small)
    print("dx = cnncourse.pool2d_backward(dout, x, 2) =\n", dx_small)

    fig, axes = plt.subplots(1, 3, figsize=(9.5, 3.4))
    for ax, a, title in zip(
        axes,
        (x_small, dout_small, dx_small),
        ("x (máximos recuadrados)", "dout = ∂L/∂o", "dx = ∂L/∂x"),
        strict=True,
    ):
        plotting.show_kernel(a, title, ax=ax)
    for t in range(4):
        step = pool_step(x_small, t, mode="max")
        r, c = step.origin[0] + step.winner[0], step.origin[1] + step.winner[1]
        axes[0].add_patch(
            plt.Rectangle((c - 0.4, r - 0.4), 0.8, 0.8, fill=False, lw=2.5, edgecolor="tab:green")
        )
    fig.tight_layout()
    """,
    concepts=["P3"],
)

nb.md(
    r"""
    Cada valor de `dout` aparece una sola vez en `dx`, en la posición del máximo de su ventana
    (el 9, el 8, el 4 y, en la ventana empatada, el primer 1); las otras 12 entradas
    reciben 0. En la ventana de abajo a la derecha los cuatro valores empatan a 1 y gana el
    primero, `x[2, 2]`.

    ### Dónde está el máximo: `np.argmax` y `np.unravel_index`

    Para programar este gradiente hace falta saber, en cada ventana, **dónde** está su
    máximo. `np.argmax(window)` no devuelve una fila y una columna: devuelve la posición en
    el array **aplanado**, recorrido por filas. En una ventana de $k \times k$ es un número
    $f$ entre $0$ y $k \cdot k - 1$ (con empates, el primero).
    `np.unravel_index(f, window.shape)` lo convierte en la fila y la columna **dentro de la
    ventana**, $(n, m) = (\lfloor f / k \rfloor,\ f \bmod k)$. Como la ventana $(j, i)$
    empieza en la fila $j \cdot s$ y la columna $i \cdot s$ de `x`, ese máximo es
    `x[j * s + n, i * s + m]`.

    La forma que recibe `np.unravel_index` es la de la **ventana**, no la de `x`: con la de
    `x`, el mismo $f$ se lee como si las filas midieran $W$ y da otra posición, a menudo
    fuera de `x`. En la ventana de arriba a la derecha del ejemplo:
    """,
    concepts=["P3"],
)

nb.code(
    r"""
    k, s = 2, 2  # ventana 2 x 2 y stride 2, como en el ejemplo
    j, i = 0, 1  # la ventana de arriba a la derecha
    window = x_small[j * s : j * s + k, i * s : i * s + k]
    f = np.argmax(window)  # posición en la ventana aplanada, por filas
    n, m = np.unravel_index(f, window.shape)  # fila y columna dentro de la ventana
    print("window =\n", window)
    print(f"np.argmax(window) = {f} -> np.unravel_index({f}, {window.shape}) = ({n}, {m})")
    print(f"en x: x[{j * s + n}, {i * s + m}] = {x_small[j * s + n, i * s + m]}, el máximo")
    n_bad, m_bad = np.unravel_index(f, x_small.shape)
    print(
        f"con la forma de x (mal): np.unravel_index({f}, {x_small.shape}) = ({n_bad}, {m_bad})"
        f" -> x[{j * s + n_bad}, {i * s + m_bad}], fuera de x, que solo tiene 4 columnas"
    )
    """,
    concepts=["P3"],
)

nb.md(
    r"""
    ### Comprobar un gradiente: el gradiente numérico

    ¿Cómo se sabe si un gradiente programado a mano está bien? Comparándolo con el **gradiente
    numérico**, como hicimos en el cuaderno 2 con `loss_grad` (el curso CS231n de Stanford lo
    hace con la pasada hacia atrás de cada capa que programa). Para una capa se usa una
    función auxiliar,

    $$f(\mathbf{x}) = \sum_{j,i} \mathrm{dout}_{j,i} \cdot o_{j,i},
      \qquad \mathbf{o} = \mathrm{maxpool}(\mathbf{x}),$$

    que tiene $\partial f / \partial o_{j,i} = \mathrm{dout}_{j,i}$: por la regla de la
    cadena, su gradiente respecto a $\mathbf{x}$ es justo el `dx` de la pasada hacia atrás.
    Cada entrada de `dx` se compara con una diferencia centrada, que mueve solo $x_{r,c}$ un
    poco, $\varepsilon$, hacia arriba y hacia abajo:

    $$\frac{\partial f}{\partial x_{r,c}} \approx
      \frac{f(\mathbf{x} + \varepsilon\, \mathbf{e}_{r,c}) - f(\mathbf{x} - \varepsilon\,
      \mathbf{e}_{r,c})}{2 \varepsilon},$$

    donde $\mathbf{e}_{r,c}$ vale 1 en la posición $(r, c)$ y 0 en el resto. Con el ejemplo
    $4 \times 4$ y $\varepsilon = 10^{-6}$:
    """,
    concepts=["P3"],
)

nb.code(
    r'''
    def pooled_sum(x, dout, k=2, s=None):
        """f(x) = suma de dout · maxpool(x): su gradiente respecto a x es dx."""
        return np.sum(dout * cnncourse.pool2d(x, k, s, mode="max"))


    eps = 1e-6
    numeric_small = np.zeros(x_small.shape)
    for r, c in np.ndindex(*x_small.shape):
        e = np.zeros(x_small.shape)
        e[r, c] = eps  # ε · e_(r, c): solo se mueve x[r, c]
        up, down = pooled_sum(x_small + e, dout_small), pooled_sum(x_small - e, dout_small)
        numeric_small[r, c] = (up - down) / (2 * eps)
    print("gradiente numérico =\n", numeric_small)
    print("dx =\n", dx_small)
    ''',
    concepts=["P3"],
)

nb.md(
    r"""
    En las tres ventanas sin empates, el gradiente numérico coincide con `dx`. En la ventana
    empatada (los cuatro 1, con `dout` $= 4$) da 2 a **cada** entrada, 8 en total, el doble
    del gradiente que llega a la ventana: al subir una de ellas $\varepsilon$, el máximo sube
    $\varepsilon$; al bajarla, no cambia (las otras tres siguen en 1). La diferencia centrada
    promedia las dos pendientes del máximo, 1 y 0, y da $4 \cdot \frac{1 + 0}{2} = 2$. En un
    empate el máximo no es derivable y la diferencia finita no sirve. Por eso la comprobación
    numérica se hace con una entrada **sin empates**, de valores distintos y separados mucho
    más que $\varepsilon$: así un movimiento de $\pm\varepsilon$ no cambia qué entrada es el
    máximo de cada ventana, $f$ es lineal alrededor de $\mathbf{x}$ y la diferencia centrada
    es exacta, salvo el redondeo.
    """,
    concepts=["P3"],
)

nb.md(
    r"""
    ✏️ **Ejercicio 3 (3 puntos).** Escribe `maxpool_backward(dout, x, kernel_size=2, stride=None)`
    para `x` de forma `(H, W)` y `dout` de forma `(Ho, Wo)` (la del max pooling de `x` con esa
    ventana y ese stride, sin padding; `stride=None` es `kernel_size`). Devuelve `dx`, el
    gradiente respecto a `x`: el gradiente de cada ventana va a la posición de su máximo (la
    **primera** si hay empates, en orden de filas), los gradientes de ventanas solapadas **se
    suman** y las demás entradas reciben 0 (también las filas y columnas que ninguna ventana
    cubre, si la división no es exacta). Pista: `np.argmax` y `np.unravel_index` sobre cada
    ventana, como arriba. La celda de comprobación compara tu `dx` con resultados conocidos
    (sin empates, con empates, con ventanas solapadas) y, al final, con el gradiente numérico
    de $f$ en una entrada $9 \times 11$ sin empates, con ventanas $3 \times 3$ y stride 2.
    Las reglas (las comprueba la celda de comprobación de abajo y también las comprobaciones
    ocultas):

    * devuelve un `np.ndarray` nuevo de tipo `float` y de la forma de `x`;
    * no modifiques `dout` ni `x`;
    * no uses `cnncourse.pool2d_backward`, `cnncourse.pool2d` ni otros poolings, gradientes o
      convoluciones ya hechos (`torch`...), tampoco desde una función auxiliar. Sí puedes
      usar tu `pool2d_loops`.
    """,
    concepts=["P3"],
)

nb.solution(
    '''
    def maxpool_backward(dout, x, kernel_size=2, stride=None):
        """Gradiente de un max pooling k x k (stride s; si es None, k) respecto a x."""
        ### BEGIN SOLUTION
        k = kernel_size
        s = k if stride is None else stride
        dx = np.zeros(x.shape)
        Ho, Wo = dout.shape
        for j in range(Ho):
            for i in range(Wo):
                window = x[j * s : j * s + k, i * s : i * s + k]
                n, m = np.unravel_index(np.argmax(window), window.shape)
                dx[j * s + n, i * s + m] += dout[j, i]
        return dx
        ### END SOLUTION
    ''',
    grade_id="maxpool_backward",
    concepts=["P3"],
)

nb.tests(
    r'''
    """Comprueba maxpool_backward con empates, ventanas solapadas y el gradiente numérico."""


    def check(dout, x, k, s, expected, what):
        # las reglas del enunciado: ni pooling ni gradiente ya hechos, dout y x intactos y un
        # np.ndarray de tipo float
        dx = checks.check_pool_rules(
            maxpool_backward,
            (dout, x, k, s),
            "maxpool_backward",
            globals(),
            checks.explain_maxpool_backward,
        )
        hint = checks.explain_maxpool_backward(dx, dout, x, k, s)
        assert dx.shape == x.shape, (
            f"{hint}\n{what}: dx tiene la forma de x, {x.shape}; recibida {dx.shape}."
        )
        checks.assert_close(
            dx,
            np.asarray(expected, dtype=float),
            hint=hint,
            context=f"{what}: con x =\n{x}\ndout =\n{dout}\nkernel_size={k} y stride={s}:",
        )


    with checks.exercise(globals(), "maxpool_backward", needs=("pool2d_loops",)):
        # 3 x 9: ninguna ventana cubre la última fila ni la última columna, que reciben 0
        x1 = np.array(
            [[1, 5, 0, 2, 3, 8, 2, 0, 9], [2, 6, 7, 1, 0, 2, 4, 1, 9], [9, 9, 9, 9, 9, 9, 9, 9, 9]],
            dtype=float,
        )
        d1 = np.array([[1, 2, 3, 4]], dtype=float)
        e1 = [[0, 0, 0, 0, 0, 3, 0, 0, 0], [0, 1, 2, 0, 0, 0, 4, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0, 0]]
        check(d1, x1, 2, None, e1, "Ventanas 2 x 2 sin empates")
        # ventana izquierda: todo ceros; derecha: dos 7
        x2 = np.array([[0, 0, 2, 7, 1], [0, 0, 7, 1, 3], [5, 1, 0, 2, 6]], dtype=float)
        d2 = np.array([[5, 6]], dtype=float)
        e2 = [[5, 0, 0, 6, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]]
        check(d2, x2, 2, None, e2, "Empates")
        # el 9 es el máximo de cuatro ventanas
        x3 = np.array([[0, 1, 0, 2], [2, 9, 3, 1], [0, 4, 0, 5]], dtype=float)
        d3 = np.array([[1, 2, 3], [4, 5, 6]], dtype=float)
        e3 = [[0, 0, 0, 0], [0, 12, 3, 0], [0, 0, 0, 6]]
        check(d3, x3, 2, 1, e3, "Ventanas 2 x 2 solapadas (stride 1)")
        # el gradiente numérico de f(x) = suma de dout · maxpool(x), cuyo gradiente es dx, en
        # una entrada sin empates: 99 valores distintos, separados 0.1, mucho más que eps
        gen = np.random.default_rng(5)
        x4 = gen.permutation(99).reshape(9, 11) / 10
        d4 = gen.normal(size=(4, 5))
        eps = 1e-6
        numeric = np.zeros(x4.shape)
        for r, c in np.ndindex(*x4.shape):
            e = np.zeros(x4.shape)
            e[r, c] = eps
            up = np.sum(d4 * cnncourse.pool2d(x4 + e, 3, 2))
            down = np.sum(d4 * cnncourse.pool2d(x4 - e, 3, 2))
            numeric[r, c] = (up - down) / (2 * eps)
        dx4 = checks.check_pool_rules(
            maxpool_backward,
            (d4, x4, 3, 2),
            "maxpool_backward",
            globals(),
            checks.explain_maxpool_backward,
        )
        assert dx4.shape == x4.shape, (
            f"{checks.explain_maxpool_backward(dx4, d4, x4, 3, 2)}\nVentanas 3 x 3, stride 2: "
            f"dx tiene la forma de x, {x4.shape}; recibida {dx4.shape}."
        )
        checks.assert_close(
            dx4,
            numeric,
            hint=lambda: checks.explain_maxpool_numeric(dx4, numeric, d4, x4, 3, 2),
            context=(
                "Ventanas 3 x 3, stride 2, en una entrada 9 x 11 sin empates, comparado con el "
                "gradiente numérico (f(x + ε·e) − f(x − ε·e)) / 2ε de cada entrada, con "
                "f(x) = suma de dout · maxpool(x):"
            ),
            rtol=1e-5,
            atol=1e-8,
        )
    rel_error = np.max(np.abs(dx4 - numeric)) / np.max(np.abs(numeric))
    print(
        "¡Bien! El gradiente va al máximo de cada ventana (el primero si hay empate) y se suma "
        "si las ventanas se solapan.\n"
        f"Error relativo frente al gradiente numérico: {rel_error:.1e}"
    )
    ### BEGIN HIDDEN TESTS
    import cnncourse._grading as _grading

    _grading.trusted(globals()).hidden_maxpool_backward(maxpool_backward, globals())
    ### END HIDDEN TESTS
    ''',
    grade_id="test_maxpool_backward",
    points=3,
)

nb.md(
    r"""
    ¿Cuántas entradas reciben gradiente? Con `dout` lleno de unos, `dx` cuenta de cuántas
    ventanas es el máximo cada entrada. Con ventanas $2 \times 2$ y stride 2, exactamente una
    de cada cuatro entradas recibe gradiente; con ventanas $3 \times 3$ y stride 2
    (solapadas, como en AlexNet), algunas entradas son el máximo de varias ventanas y otras de
    ninguna:
    """,
    concepts=["P3"],
)

nb.code(
    r"""
    z = rng.normal(size=(12, 12))
    wins_2 = maxpool_backward(np.ones((6, 6)), z, 2)
    wins_3 = maxpool_backward(np.ones((5, 5)), z, 3, 2)
    for label, wins in (("2 x 2, stride 2", wins_2), ("3 x 3, stride 2", wins_3)):
        most = int(wins.max())
        print(
            f"{label}: recibe gradiente el {100 * np.mean(wins > 0):.0f} % de las entradas; "
            f"como mucho, una entrada es el máximo de {most} "
            f"{'ventana' if most == 1 else 'ventanas'}"
        )
    d = rng.normal(size=(5, 5))
    print(
        "máxima diferencia con cnncourse.pool2d_backward:",
        np.max(np.abs(maxpool_backward(d, z, 3, 2) - cnncourse.pool2d_backward(d, z, 3, 2))),
    )
    fig = plotting.show_images(
        {"2 × 2, stride 2": wins_2, "3 × 3, stride 2 (solapadas)": wins_3},
        cmap="viridis",
        colorbar=True,
        show_shape=False,
        vmin=0,
        vmax=wins_3.max(),
    )
    for cbar_ax in fig.axes[2:]:  # barras de color: solo enteros
        cbar_ax.set_yticks(range(int(wins_3.max()) + 1))
    fig.suptitle("de cuántas ventanas es el máximo cada entrada")
    fig.tight_layout()
    """,
    concepts=["P3"],
)

# --------------------------------------------------------------------------------------
# 7. Explorer
# --------------------------------------------------------------------------------------
nb.md(
    r"""
    ### Explora: el pooling, posición a posición

    Mueve los deslizadores: el tamaño de la ventana, el stride y la posición $t$ de la ventana;
    elige la operación en el desplegable. Se resalta la ventana, se escribe su resultado y,
    debajo, la fórmula del tamaño de la salida con tus números. Prueba una ventana de 3 con
    stride 2 (ventanas solapadas), una de 4 con stride 3 (la división no es exacta: ¿qué filas y
    columnas se quedan sin usar?) y un stride mayor que la ventana (hay valores que ninguna
    ventana mira). (El explorador necesita un Jupyter en marcha; en una ejecución sin pantalla
    no se ve nada.)
    """,
    concepts=["P2", "P3"],
    locked=False,
)

nb.code(
    """
    pool_arithmetic_explorer()
    """
)

nb.md(
    r"""
    ## Resumen

    * LeNet-5 alterna convoluciones y **pooling**: cada pooling $2 \times 2$ divide entre 4
      los valores de cada mapa, abarata las capas siguientes y agranda su campo receptivo.
    * El pooling reduce el volumen agrupando valores y conservando la estructura global. **No
      tiene parámetros**: una ventana con tres hiperparámetros, **tamaño**, **stride** y
      **operación** (máximo, media o mínimo; lo típico, ventana 2 y stride 2). Cada canal se
      agrupa por separado: `(C, H, W)` → `(C, Ho, Wo)`, con la fórmula del tamaño de la
      convolución.
    * En `cnncourse` (y en PyTorch) el padding nunca puede ser el resultado del máximo ni del
      mínimo, y la media divide entre la ventana completa, padding incluido. El tamaño de la
      salida se redondea hacia abajo; con `ceil_mode=True` (PyTorch) o en Caffe, hacia arriba.
    * El pooling da **invarianza a pequeños desplazamientos**: si la respuesta no sale de su
      ventana, el max pooling no cambia; si cruza un borde de ventana, sí. El máximo global es
      invariante a cualquier desplazamiento.
    * El **global pooling** resume cada matriz en un número: un volumen `(C, H, W)` se
      convierte en un vector `(C,)`, sin ventana ni stride, sea cual sea el tamaño de la
      imagen.
    * Hacia atrás, un max pooling envía el gradiente de cada ventana a la posición de su
      máximo (la primera si hay empate) y suma los de ventanas solapadas; un average pooling
      lo reparte a partes iguales.
    * Un gradiente programado a mano se comprueba con el **gradiente numérico** (diferencias
      centradas de $f(\mathbf{x}) = \sum \mathrm{dout} \cdot \mathrm{maxpool}(\mathbf{x})$),
      en una entrada sin empates.

    **Siguiente:** el cuaderno 6 junta todas las piezas en arquitecturas: el pooling de
    LeNet-5, AlexNet y VGG, y el *global average pooling* con el que terminan GoogLeNet y
    ResNet.
    """,
    grade_id="nb05-md-summary",
)

if __name__ == "__main__":
    print(nb.write("05_pooling.ipynb"))
