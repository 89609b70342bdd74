"""Source of notebooks/01_conv1d.ipynb (introduction I1, I2, I4, I5; 1D convolution C1, C2;
C6 in passing). I3, images as pixel matrices, is taught in notebook 02."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nbbuild import Notebook  # noqa: E402

nb = Notebook("nb01")

nb.md(
    r"""
    # Cuaderno 1 — Introducción y convolución 1D

    **Objetivos.** Al terminar este cuaderno sabrás:

    1. por qué las redes neuronales necesitan algo más que capas densas para *ver* (localidad,
       invarianza al movimiento, composición jerárquica) y de dónde vienen las CNN;
    2. por qué no conviene aplanar una imagen en un vector (y cuántos pesos costaría);
    3. qué es una convolución: entrada $\mathbf{x}$, kernel $\mathbf{u}$ y salida $\mathbf{o}$;
    4. programar la convolución 1D con bucles y reproducir el ejemplo del voltaje de la clase;
    5. cómo una capa densa se convierte en una convolución cuando se le imponen un **campo
       receptivo** pequeño y la **compartición de pesos**, y cuántos parámetros se ahorran;
    6. usar la convolución para encontrar los flancos de subida de una señal;
    7. acelerar tus bucles con Numba y medir cuánto se gana.

    Los ejercicios calificados están marcados con ✏️. Escribe tu código donde pone
    `# ESCRIBE AQUÍ TU CÓDIGO` (borra la línea `raise NotImplementedError()` que lo acompaña)
    y ejecuta la celda de comprobación que va justo después: te dice si vas bien y,
    si no, qué error típico parece que has cometido. Al calificar se ejecutan además
    comprobaciones ocultas con otros tamaños y casos límite; las reglas de cada enunciado (qué
    devolver, qué no usar) ya las comprueba la celda de comprobación.
    """,
    grade_id="nb01-md-goals",
)

nb.code(
    """
    # Preparación: ejecuta esta celda primero.
    import time

    import numba
    import numpy as np

    import cnncourse
    import cnncourse._grading as checks  # pistas de las comprobaciones (no lo modifiques)
    from cnncourse import data, plotting
    from cnncourse.arithmetic import conv_steps_text
    from cnncourse.widgets import signal_explorer, sweep_explorer

    np.set_printoptions(precision=3, suppress=True)
    rng = np.random.default_rng(0)
    """,
    locked=True,
    grade_id="nb01-setup",
)

nb.md(
    r"""
    ## 1. ¿Es posible hacer que las redes neuronales sean capaces de ver?

    Para reconocer un objeto en una imagen, un modelo debería cumplir tres principios:

    1. **Localidad**: detectar las características que componen un objeto (bordes, esquinas,
       texturas) mirando regiones pequeñas de la imagen.
    2. **Invarianza al movimiento**: misma salida si la posición del objeto de entrada cambia.
       Un gato es un gato en la esquina o en el centro.
    3. **Composición jerárquica**: combinar características simples y aprender otras complejas
       (bordes → formas → partes → objetos).

    La convolución (sección 4) responde a los dos primeros principios con dos ideas:

    * **Campo receptivo pequeño**, para la localidad: cada valor de la salida depende solo de
      una región pequeña de la entrada, la ventana que cubre el kernel. Esa región es su
      **campo receptivo**.
    * **Compartición de pesos**, para el movimiento: el mismo kernel, con los mismos pesos,
      recorre toda la entrada, así que un patrón se busca igual en todas las posiciones.

    Con el movimiento hay que ser precisos: si el patrón se desplaza, la salida de la
    convolución **se desplaza con él**, pero no es la *misma* salida. Se dice que la convolución
    es **equivariante** al desplazamiento (la salida se mueve con la entrada). La **invarianza**
    que pide el principio (misma salida aunque el objeto se mueva) llega después, al resumir la
    salida con *pooling* (cuaderno 5): un pooling local la da para desplazamientos pequeños y
    uno global, para cualquiera que deje el objeto dentro de la imagen; en la sección 7 verás un
    adelanto. La composición jerárquica se obtiene apilando convoluciones: cada capa combina las
    salidas de la anterior, y el campo receptivo sobre la imagen crece con cada capa.
    """,
    concepts=["I1"],
)

nb.md(
    r"""
    ## 2. Un poco de historia

    * **¿Cómo funciona nuestra visión?** En **1981**, David **Hubel** y Torsten **Wiesel**
      reciben el Premio Nobel de Fisiología o Medicina por sus contribuciones a la neurociencia
      y su investigación, desde 1959, sobre el procesamiento visual en el cerebro: hay neuronas
      de la corteza visual que solo responden a bordes con cierta orientación en una zona
      pequeña del campo visual (su **campo receptivo**), y otras que combinan sus respuestas.
    * **Neocognitron (1980).** Fukushima propone implementar ese modelo jerárquico del sistema
      visual con redes neuronales: está creado a partir de convoluciones y es capaz de detectar
      composiciones jerárquicas, pero su algoritmo de entrenamiento es ineficiente.
    * **Redes convolucionales (1990).** LeCun entrena una red convolucional utilizando
      *backpropagation* (**retropropagación**: el algoritmo que calcula el gradiente del error
      respecto a cada peso, capa a capa, desde la salida hacia la entrada) y aboga por el
      aprendizaje de características *end-to-end* (de extremo a extremo: de los píxeles a la
      clase, todo se aprende a la vez) en la clasificación de imágenes: los filtros ya no se
      diseñan a mano, se aprenden.
    """,
    concepts=["I2"],
)

nb.md(
    r"""
    ## 3. ¿Por qué no aplanar la imagen en un vector?

    Una imagen es una matriz de píxeles. Podríamos aplanarla en un vector y dársela a una red
    densa (totalmente conectada), pero:

    * Las imágenes no pueden tratarse como vectores «no estructurados»: la red tendría que
      aprender por separado el mismo patrón en cada posición. **No hay invarianza al movimiento.**
    * Los modelos serían **enormes**: una pequeña imagen en escala de grises de $100 \times 100$
      ya es un vector de $10\,000$ valores, y cada neurona de la capa densa tiene un peso por
      cada uno de ellos (más su sesgo).

    ✏️ **Ejercicio 1 (1 punto).** Escribe `dense_params(height, width, units)`: el número de
    parámetros (pesos **y** sesgos) de una capa densa de `units` neuronas que recibe una imagen en
    escala de grises de `height` × `width` píxeles aplanada. Devuelve un `int` (un entero de
    Python o de NumPy, no un `float`: calcula solo con `*` y `+`).
    """,
    concepts=["I4"],
)

nb.solution(
    '''
    def dense_params(height, width, units):
        """Número de parámetros (pesos y sesgos), un int, de una capa densa de `units` neuronas
        sobre una imagen de height x width píxeles aplanada."""
        ### BEGIN SOLUTION
        return height * width * units + units
        ### END SOLUTION
    ''',
    grade_id="dense_params",
    concepts=["I4"],
)

nb.tests(
    '''
    """Comprueba dense_params con la imagen de 100 x 100 de la clase y con una de 3 x 5."""
    with checks.exercise(globals(), "dense_params"):
        for height, width, units, expected in ((100, 100, 1000, 10_001_000), (3, 5, 7, 112)):
            n = dense_params(height, width, units)
            checks.rule_int(n, "dense_params")
            assert n == expected, (
                f"{checks.explain_dense_params(n, height, width, units)} "
                f"dense_params({height}, {width}, {units}) devolvió {n}; se esperaba {expected}."
            ).lstrip()
    n = dense_params(100, 100, 1000)
    print(
        (
            f"Correcto: una capa densa de 1000 neuronas sobre 100 x 100 píxeles tiene {n:_} "
            "parámetros."
        ).replace("_", " ")
    )
    ### BEGIN HIDDEN TESTS
    import cnncourse._grading as _grading

    _grading.trusted(globals()).hidden_dense_params(dense_params)
    ### END HIDDEN TESTS
    ''',
    grade_id="test_dense_params",
    points=1,
)

nb.md(
    r"""
    ## 4. ¿Qué es una convolución?

    Diez millones de parámetros para una sola capa y una imagen diminuta. La alternativa es la
    convolución; en la sección 7 contaremos cuántos parámetros ahorra.

    Una **convolución** es una operación matemática capaz de extraer características o patrones
    de unos datos de entrada, típicamente imágenes o señales. Está compuesta por:

    * los datos de entrada $\mathbf{x}$;
    * uno o varios **kernels** o **filtros** $\mathbf{u}$;
    * la salida $\mathbf{o}$.

    El kernel se desliza por la entrada; en cada posición se multiplican, elemento a elemento, la
    ventana de la entrada y el kernel, y se suman los productos: esa suma es un elemento de la
    salida. A la salida de una convolución se la llama también **mapa de características**
    (*feature map*): dice dónde aparece en la entrada la característica que busca el kernel.
    """,
    concepts=["I5"],
)

nb.md(
    r"""
    ## 5. Convolución 1D

    Si nuestros datos de entrada son de una dimensión (una señal, por ejemplo), aplicamos la
    **convolución 1D**. Tenemos:

    * vector 1D de entrada $\mathbf{x} \in \mathbb{R}^W$,
    * vector 1D kernel $\mathbf{u} \in \mathbb{R}^w$,
    * vector 1D de salida $\mathbf{o} \in \mathbb{R}^{W-w+1}$.

    La operación de convolución se define como:

    $$(\mathbf{x} \circledast \mathbf{u})[i] = \sum_{m=0}^{w-1} x_{m+i} \cdot u_m,
    \qquad i = 0, \dots, W-w.$$

    Fíjate en dos detalles:

    * la salida tiene **$W-w+1$** elementos: la última posición válida del kernel empieza en
      $i = W-w$;
    * el kernel **no se invierte**: $x_{m+i}$ se multiplica por $u_m$, en el mismo orden. En
      aprendizaje profundo (*deep learning*) se llama «convolución» a lo que en matemáticas se
      llama **correlación cruzada** (en NumPy, `np.correlate`). La convolución de las
      matemáticas (`np.convolve`, `scipy.signal.convolve`) invierte el kernel antes de
      deslizarlo. Con el ejemplo del voltaje de la clase se ve la diferencia:
    """,
    concepts=["C1"],
)

nb.code(
    """
    x = np.array([0, 0, 0, 0, 1, 2, 3, 3], dtype=float)  # el voltaje de la clase
    print(
        "np.correlate(x, (-1, 1), 'valid') =",
        np.correlate(x, [-1, 1], "valid"),
        "<- la convolución de la clase",
    )
    print(
        "np.convolve(x, (-1, 1), 'valid')  =",
        np.convolve(x, [-1, 1], "valid"),
        "<- invierte el kernel: calcula x ⊛ (1, -1)",
    )
    """,
    concepts=["C1", "C2"],
)

nb.md(
    r"""
    ¿Importa la diferencia? Para un kernel **diseñado a mano**, sí: $(-1, 1)$ invertido busca
    bajadas en vez de subidas. Para un kernel **aprendido**, no: sus valores son parámetros que
    se aprenden durante el entrenamiento (cuaderno 2), así que si hiciera falta el kernel
    invertido, la red aprendería directamente los valores invertidos. Por eso las bibliotecas de
    aprendizaje profundo (PyTorch, TensorFlow y también `cnncourse`) se ahorran la inversión y
    calculan la correlación cruzada.

    ### El barrido, posición a posición

    Antes de programarla, hagamos la convolución a mano. El kernel $(-1, 1)$ se coloca en cada
    posición $i$ y cada salida es una suma de productos: $o_i = x_i \cdot (-1) + x_{i+1} \cdot 1$.
    """,
    concepts=["C1", "C6"],
)

nb.code(
    """
    print(conv_steps_text(x, np.array([-1.0, 1.0])))
    """,
    concepts=["C1", "C2"],
)

nb.md(
    r"""
    Mueve el deslizador «posición t» para recorrer las posiciones del kernel (aquí, que avanza de
    una en una, la posición $t$ es el índice $i$ de la fórmula): se resalta la ventana de
    $\mathbf{x}$, se escriben los productos y su suma, que es el elemento de $\mathbf{o}$ que se
    rellena. (Los exploradores necesitan un Jupyter en marcha; en una ejecución sin pantalla no
    se ve nada.)
    """,
    concepts=["C1"],
    locked=False,
)

nb.code(
    """
    sweep_explorer(x, np.array([-1.0, 1.0]))
    """
)

nb.md(
    r"""
    ✏️ **Ejercicio 2 (3 puntos).** Implementa `conv1d_loops(x, u)` con bucles de Python,
    siguiendo la fórmula. `x` y `u` son arrays 1D de NumPy, con $1 \le w \le W$: la fórmula
    sirve también en los extremos, $w = 1$ y $w = W$ (que da una sola salida), y las
    comprobaciones ocultas los prueban. Reglas (las comprueban la celda de comprobación y
    también las comprobaciones ocultas):

    * devuelve un `np.ndarray` **nuevo** de tipo `float` (créalo con `np.zeros`), no una lista;
    * no modifiques `x` ni `u`;
    * no llames a ninguna convolución ya hecha: ni `np.convolve`, ni `np.correlate`, ni
      `scipy.signal`, ni `cnncourse.conv1d` (la idea es escribir tú la suma de productos).
    """,
    concepts=["C1"],
)

nb.solution(
    '''
    def conv1d_loops(x, u):
        """Convolución 1D con bucles: devuelve o, de forma (W - w + 1,), con
        o[i] = Σ_m x[m + i] · u[m]."""
        ### BEGIN SOLUTION
        W, w = len(x), len(u)
        o = np.zeros(W - w + 1)
        for i in range(W - w + 1):
            for m in range(w):
                o[i] += x[m + i] * u[m]
        return o
        ### END SOLUTION
    ''',
    grade_id="conv1d_loops",
    concepts=["C1"],
)

nb.tests(
    '''
    """Comprueba conv1d_loops con un kernel no simétrico y con el ejemplo del voltaje de la clase."""
    cases = (
        ([3, 1, 4, 1, 5, 9], [2, 0, -1], [2, 1, 3, -7]),
        ([0, 0, 0, 0, 1, 2, 3, 3], [-1, 1], [0, 0, 0, 1, 1, 1, 0]),
    )
    with checks.exercise(globals(), "conv1d_loops"):
        for x, u, expected in cases:
            x, u = np.array(x, dtype=float), np.array(u, dtype=float)
            o = checks.check_rules(conv1d_loops, (x, u), "conv1d_loops", globals())
            checks.assert_close(
                o,
                np.array(expected, dtype=float),
                hint=checks.explain_conv1d(o, x, u),
                context=f"Con x = {x.tolist()} y u = {u.tolist()}:",
            )
    print("¡Bien! (0,0,0,0,1,2,3,3) ⊛ (-1,1) =", o)
    ### BEGIN HIDDEN TESTS
    import cnncourse._grading as _grading

    _grading.trusted(globals()).hidden_conv1d(conv1d_loops, globals())
    ### END HIDDEN TESTS
    ''',  # noqa: E501 - the test cell's one-line docstring (97 columns in the notebook)
    grade_id="test_conv1d_loops",
    points=3,
)

nb.md(
    r"""
    ## 6. El ejemplo del voltaje

    Volvamos al ejemplo del voltaje de la clase, ahora con tu función. Las convoluciones pueden
    aplicar diferentes kernels o filtros; en una señal eléctrica podemos aplicar uno para buscar
    **incrementos de voltaje (en 1 unidad)**:

    $$(0,0,0,0,1,2,3,3) \circledast (-1,1) = (0,0,0,1,1,1,0)$$

    El kernel $(-1, 1)$ calcula $x_{i+1} - x_i$: la salida vale 1 justo donde el voltaje sube
    una unidad de una muestra a la siguiente. La entrada tiene $W = 8$ muestras, el kernel
    $w = 2$, así que la salida tiene $W - w + 1 = 7$.
    """,
    concepts=["C2"],
)

nb.code(
    """
    x = data.voltage_signal()
    u = np.array([-1.0, 1.0])
    o = conv1d_loops(x, u)
    print("x =", x, "  u =", u)
    print("o = x ⊛ u =", o, "  (cnncourse.conv1d da", cnncourse.conv1d(x, u), ")")
    plotting.plot_signals({"x (voltaje)": x, "o = x ⊛ (-1, 1)": o}, title="Incrementos de voltaje");
    """,
    concepts=["C2"],
)

nb.md(
    r"""
    ### La longitud de la salida: $W - w + 1$

    Cuanto más largo es el kernel, menos posiciones caben. Con $W = 8$:
    """,
    concepts=["C1"],
)

nb.code(
    """
    W = 8
    for w in range(1, W + 1):
        n = cnncourse.output_size(W, w)
        print(f"w = {w}:  salida de {n} elemento{'s' if n != 1 else ''}  (W - w + 1 = {W - w + 1})")
    """,
    concepts=["C1"],
)

nb.md(
    r"""
    ## 7. De la capa densa a la convolución: campo receptivo y compartición de pesos

    Ahora que sabes qué es una convolución, volvamos a la capa densa de la sección 3: una
    convolución **es** una capa densa a la que se imponen dos restricciones, una por cada uno de
    los dos primeros principios de la sección 1. Para comparar, demos a la capa densa una neurona
    por cada valor de la salida de una convolución $3 \times 3$ sobre la imagen de
    $100 \times 100$ de la clase: $(100 - 3 + 1) \times (100 - 3 + 1) = 98 \times 98 = 9\,604$
    neuronas, cada una con su sesgo.

    1. **Densa.** Cada neurona tiene un peso por píxel:
       $100 \cdot 100 \cdot 9\,604 + 9\,604 = 96\,049\,604$ parámetros (tu
       `dense_params(100, 100, 9604)`).
    2. **Local (localidad).** Cada neurona mira solo la ventana de $3 \times 3$ píxeles de su
       posición: esa ventana es su **campo receptivo**. Los demás pesos valen 0 y no hace falta
       guardarlos: $9\,604 \cdot (9 + 1) = 96\,040$ parámetros, unas mil veces menos. Es una capa
       *localmente conectada*: cada neurona sigue teniendo sus propios 9 pesos.
    3. **Pesos compartidos (el principio del movimiento).** Un borde es un borde esté donde esté,
       así que todas las neuronas usan **los mismos** 9 pesos y el mismo sesgo. Es la
       **compartición de pesos**: quedan $9 + 1 = 10$ parámetros, y la neurona de la posición
       $(j, i)$ calcula $\sum_{n}\sum_{m} x_{n+j,\,m+i}\, u_{n,m} + b$, que es la convolución 2D de
       la clase (cuaderno 2) más un sesgo.

    El libro *Dive into Deep Learning* (§7.1, «From Fully Connected Layers to Convolutions»)
    hace los mismos dos pasos en el otro orden, primero los pesos compartidos y después la
    localidad, y llega a la misma capa. Una capa convolucional tiene muchos filtros, cada uno con
    sus propios pesos: **1000 filtros** de $3 \times 3$ suman $1000 \cdot (9 + 1) = 10\,000$
    parámetros, mil veces menos que los $10\,001\,000$ de la capa densa de 1000 neuronas del
    ejercicio 1. Y esa cuenta no depende del tamaño de la imagen: cada filtro usa sus 9 pesos en
    todas las posiciones.
    """,
    concepts=["I1", "I4"],
)

nb.code(
    """
    neurons = (100 - 3 + 1) * (100 - 3 + 1)  # una por posición de la ventana 3 x 3
    counts = {
        "1. densa": dense_params(100, 100, neurons),
        "2. local (campo receptivo 3 x 3)": neurons * (3 * 3 + 1),
        "3. local y con pesos compartidos": 3 * 3 + 1,
        "1000 filtros 3 x 3": 1000 * (3 * 3 + 1),
    }
    for name, count in counts.items():
        print(f"{name:<34}{count:>13_} parámetros".replace("_", " "))
    """,
    concepts=["I4"],
)

nb.md(
    r"""
    Los dos pasos se ven en la **matriz de pesos** de la capa densa, en 1D: una fila por neurona
    y una columna por muestra de la entrada; la capa calcula $\mathbf{M}\mathbf{x}$. Para la
    convolución del voltaje con $\mathbf{u} = (-1, 1)$, la fila $i$ tiene $u_0$ y $u_1$ en las
    columnas $i$ e $i + 1$ y ceros en las demás: es **local** (dos pesos no nulos por fila) y
    **comparte** sus pesos (los mismos en todas las filas). Con esa matriz, la capa densa da lo
    mismo que tu `conv1d_loops`:
    """,
    concepts=["I1", "C1"],
)

nb.code(
    """
    x = data.voltage_signal()
    u = np.array([-1.0, 1.0])
    W, w = x.size, u.size
    M = np.zeros((W - w + 1, W))  # capa densa: una fila de pesos por neurona
    for i in range(W - w + 1):
        M[i, i : i + w] = u  # solo la ventana de la posición i, y siempre los mismos pesos
    print("M =")
    print(M)
    print("M @ x              =", M @ x)
    print("conv1d_loops(x, u) =", conv1d_loops(x, u))
    """,
    concepts=["I1", "C1"],
)

nb.md(
    r"""
    ### Equivarianza e invarianza

    La compartición de pesos tiene otra consecuencia: si el patrón se mueve, la salida de la
    convolución se mueve con él (**equivarianza**); la salida de una capa densa, en cambio,
    cambia por completo y sin relación con la anterior. Si resumimos la salida de la convolución
    con su **máximo**, ese número ya no cambia al mover el patrón, mientras este no se salga de
    la señal: eso sí es **invarianza**, y es lo que hará el *pooling* global del cuaderno 5.
    Compruébalo:
    """,
    concepts=["I1"],
)

nb.code(
    """
    pattern = np.array([0, 0, 1, 3, 1, 0, 0, 0, 0, 0, 0, 0], dtype=float)
    moved = np.roll(pattern, 5)  # el mismo patrón, 5 posiciones más allá
    u = np.array([1.0, 3.0, 1.0])  # un kernel que «busca» ese patrón
    o_original, o_moved = conv1d_loops(pattern, u), conv1d_loops(moved, u)
    print("salida original:", o_original)
    print("salida movida:  ", o_moved, "  <- la misma, 5 posiciones más allá (equivariante)")
    print("máximo de cada salida:", o_original.max(), "y", o_moved.max(), "  <- igual (invariante)")
    dense = rng.normal(size=(4, pattern.size))  # una capa densa aleatoria de 4 neuronas
    print("densa original: ", dense @ pattern)
    print("densa movida:   ", dense @ moved, "  <- nada que ver")
    """,
    concepts=["I1"],
)

nb.md(
    r"""
    ## 8. Flancos de subida en una señal real

    Ahora una señal más realista: el registro del voltaje de un interruptor que se enciende y se
    apaga varias veces, con algo de ruido. Queremos los instantes en los que **se enciende**.

    ✏️ **Ejercicio 3 (2 puntos).** Escribe `find_rising_edges(x, threshold=0.5)`: calcula la
    convolución de `x` con el kernel $(-1, 1)$ (puedes usar tu `conv1d_loops` o
    `cnncourse.conv1d`) y devuelve un `np.ndarray` de **enteros** con los índices $i$ de la
    salida en los que $(\mathbf{x} \circledast (-1,1))[i] > \text{threshold}$, en orden creciente
    (pista: `np.flatnonzero`). El índice $i$ señala que el salto ocurre entre las muestras $i$ e
    $i+1$.
    Reglas (las comprueban la celda de comprobación y también las comprobaciones ocultas):
    devuelve un `np.ndarray` de enteros (no una lista, ni la máscara de `True`/`False`), compara
    con el parámetro `threshold` y no modifiques `x`. Ojo con `np.convolve`: invierte el kernel
    (sección 5).
    """,
    concepts=["C2"],
)

nb.code(
    """
    signal, true_rising = data.switch_signal(n=400, n_pulses=5, noise=0.05, seed=1)
    plotting.plot_signals({"voltaje (V)": signal}, title="Registro de un interruptor");
    """,
    concepts=["C2"],
)

nb.solution(
    '''
    def find_rising_edges(x, threshold=0.5):
        """Índices i en los que (x ⊛ (-1, 1))[i] > threshold, en un array de enteros."""
        ### BEGIN SOLUTION
        diff = cnncourse.conv1d(x, np.array([-1.0, 1.0]))
        return np.flatnonzero(diff > threshold)
        ### END SOLUTION
    ''',
    grade_id="find_rising_edges",
    concepts=["C2"],
)

nb.tests(
    '''
    """Comprueba find_rising_edges con señales que suben y bajan, y con la del interruptor."""
    cases = (  # (x, argumentos tras x, índices esperados)
        ([0, 0, 1, 2, 2, 0, 0, 3, 3, 1], (), [1, 2, 6]),
        ([0, 1, 1, 3, 3, 2.5, 0.5, 4, 4.25], (1.5,), [2, 6]),
        ([0, 0, 0, 0, 1, 2, 3, 3], (), [3, 4, 5]),  # el voltaje de la clase
        ([3, 2, 1], (), []),  # solo baja
        (signal, (), true_rising.tolist()),  # el interruptor
    )
    with checks.exercise(globals(), "find_rising_edges", needs=("conv1d_loops",)):
        for x, extra, expected in cases:
            x = np.array(x, dtype=float)
            edges = checks.check_rules(
                find_rising_edges,
                (x, *extra),
                "find_rising_edges",
                globals(),
                forbid=False,
                float_result=False,
            )
            checks.rule_index_array(edges, "find_rising_edges")
            threshold = extra[0] if extra else 0.5
            where = f"x = {x.tolist()}" if x.size < 20 else "la señal del interruptor"
            checks.assert_close(
                edges,
                np.array(expected, dtype=int),
                hint=checks.explain_rising_edges(edges, x, threshold),
                context=f"Con {where} y threshold = {threshold}:",
            )
    print("Flancos de subida del interruptor:", edges)
    ### BEGIN HIDDEN TESTS
    import cnncourse._grading as _grading

    _grading.trusted(globals()).hidden_rising_edges(find_rising_edges, globals())
    ### END HIDDEN TESTS
    ''',
    grade_id="test_find_rising_edges",
    points=2,
)

nb.code(
    """
    edges = find_rising_edges(signal)
    plotting.plot_signals(
        {"voltaje (V)": signal, "x ⊛ (-1, 1)": cnncourse.conv1d(signal, np.array([-1.0, 1.0]))},
        markers={"flanco de subida": edges},
        title="El kernel (-1, 1) marca los encendidos (+1) y los apagados (-1)",
    );
    """,
    concepts=["C2"],
)

nb.md(
    r"""
    ### Explora: cambia el kernel y mira la salida

    Mueve los deslizadores (los tres pesos del kernel) o elige un filtro predefinido: la media
    móvil suaviza el ruido, el incremento marca los saltos y la segunda derivada, los cambios de
    pendiente. El filtro predefinido «incremento (0, -1, 1)» es el kernel $(-1, 1)$ del
    ejercicio 3 con un cero delante, para que sus tres pesos quepan en los tres deslizadores:
    calcula $x_{i+2} - x_{i+1}$, así que cada salto aparece **un índice antes** que en el
    ejercicio 3 (en $i - 1$ en vez de en $i$), y la salida tiene un elemento menos. Si marcas
    «escala fija», el eje vertical de la salida es el mismo que el de la entrada: con la
    identidad (el kernel inicial), sube el peso central a 2 y la salida, que se duplica, se sale
    del gráfico por arriba. Sin «escala fija», el eje se ajusta a la salida y la forma parece la
    misma: solo cambian los números del eje.
    (El explorador necesita un Jupyter en marcha; en una ejecución sin pantalla no se ve nada.)
    """,
    concepts=["C1"],
    locked=False,
)

nb.code(
    """
    signal_explorer(signal)
    """
)

nb.md(
    r"""
    ## 9. Más rápido: compilar los bucles con Numba

    Los bucles de Python son lentos: cada `x[m + i] * u[m]` pasa por el intérprete. **Numba**
    compila una función de Python con bucles y arrays de NumPy a código máquina: basta con el
    decorador `@numba.njit`. Así es como está hecha `cnncourse.conv1d` por dentro.

    ✏️ **Ejercicio 4 (1 punto).** Escribe `conv1d_numba(x, u)`: la misma convolución con bucles,
    decorada con `@numba.njit`. Dentro de una función de Numba usa `x.shape[0]`,
    `np.zeros(n)` y `range`. Reglas (las comprueban la celda de comprobación y también las
    comprobaciones ocultas):

    * la función está decorada con `@numba.njit`;
    * las del ejercicio 2: devuelve un `np.ndarray` nuevo de tipo `float` (créalo con
      `np.zeros`; nada de listas: una función de Numba que devuelve una lista da a Python una
      lista, no un array), no modifiques `x` ni `u`, y nada de `cnncourse` ni de
      `np.convolve`/`np.correlate` dentro (Numba sabe compilar estas dos, pero aquí se trata de
      escribir tú los bucles).

    Si Numba no sabe compilar algo, lanza un `TypingError` largo y en inglés al **llamar** a la
    función (no al definirla). La celda de comprobación lo intercepta y te explica en castellano
    las causas habituales.
    """,
    concepts=["C1"],
)

nb.solution(
    '''
    @numba.njit
    def conv1d_numba(x, u):
        """Convolución 1D compilada con Numba: o[i] = sum_m x[m + i] * u[m]."""
        ### BEGIN SOLUTION
        W, w = x.shape[0], u.shape[0]
        o = np.zeros(W - w + 1)
        for i in range(W - w + 1):
            acc = 0.0
            for m in range(w):
                acc += x[m + i] * u[m]
            o[i] = acc
        return o
        ### END SOLUTION
    ''',
    grade_id="conv1d_numba",
    concepts=["C1"],
)

nb.tests(
    '''
    """Comprueba conv1d_numba con un kernel no simétrico, el voltaje y una señal larga."""


    def _run_numba(x, u):
        """Ejecuta conv1d_numba(x, u) con las reglas del ejercicio; explica los fallos de Numba."""
        try:
            return checks.check_rules(conv1d_numba, (x, u), "conv1d_numba", globals())
        except Exception as err:
            hint = checks.explain_numba_error(err)
            if not hint:
                raise
        raise AssertionError(hint)


    long_x = rng.normal(size=1000)
    long_u = rng.normal(size=9)
    cases = (
        (np.array([3, 1, 4, 1, 5, 9], dtype=float), np.array([2, 0, -1], dtype=float)),
        (np.array([0, 0, 0, 0, 1, 2, 3, 3], dtype=float), np.array([-1, 1], dtype=float)),
        (long_x, long_u),
    )
    with checks.exercise(globals(), "conv1d_numba"):
        checks.rule_njit(conv1d_numba, "conv1d_numba")
        for x, u in cases:
            o = _run_numba(x, u)
            if x.size < 20:
                where = f"Con x = {x.tolist()} y u = {u.tolist()}:"
            else:
                where = f"Con una señal x de {x.size} muestras y un kernel u de {u.size} pesos:"
            checks.assert_close(
                o, cnncourse.conv1d(x, u), hint=checks.explain_conv1d(o, x, u), context=where
            )
    print("¡Bien! conv1d_numba está compilada y es correcta.")
    ### BEGIN HIDDEN TESTS
    import cnncourse._grading as _grading

    _grading.trusted(globals()).hidden_conv1d_numba(conv1d_numba, globals())
    ### END HIDDEN TESTS
    ''',
    grade_id="test_conv1d_numba",
    points=1,
)

nb.md(
    r"""
    ### ¿Cuánto se gana?

    Medimos tres versiones sobre la misma señal de $20\,000$ muestras con un kernel de 9 pesos, y
    tomamos el mejor de varios intentos:

    | fila | qué mide |
    |---|---|
    | Python (bucles) | tu `conv1d_loops`: cada `x[m + i] * u[m]` pasa por el intérprete |
    | tu Numba | tu `conv1d_numba` ya compilada (la compilación, en la primera llamada, no se cuenta) |
    | cnncourse.conv1d | la función de la biblioteca: valida la entrada y llama a una función compilada con Numba (y guardada en caché), con los bucles en otro orden (el del kernel por fuera, el de la señal por dentro) para que el procesador haga varias multiplicaciones a la vez: por eso suele ganar a tu versión |

    Antes de medir llamamos una vez a tu `conv1d_numba`, para que la compilación no cuente en el
    tiempo medido.
    """,  # noqa: E501 - markdown table rows cannot wrap
    concepts=["C1"],
)

nb.code(
    """
    def best_time(fn, *args, repeat=5):
        best = float("inf")
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn(*args)
            best = min(best, time.perf_counter() - t0)
        return best


    x_big = rng.normal(size=20_000)
    u_big = rng.normal(size=9)
    conv1d_numba(x_big, u_big)  # compila (una vez)
    times = {
        "Python (bucles)": best_time(conv1d_loops, x_big, u_big, repeat=2),
        "tu Numba": best_time(conv1d_numba, x_big, u_big, repeat=20),
        "cnncourse.conv1d": best_time(cnncourse.conv1d, x_big, u_big, repeat=20),
    }
    base = times["Python (bucles)"]
    print(f"{'versión':<20}{'tiempo':>12}{'aceleración':>14}")
    for name, t in times.items():
        print(f"{name:<20}{t * 1e3:>10.3f} ms{base / t:>13_.0f}x".replace("_", " "))
    plotting.plot_speedups(
        times, baseline="Python (bucles)", title="Convolución 1D, W = 20 000, w = 9"
    );
    """,
    concepts=["C1"],
)

nb.md(
    r"""
    ## Resumen

    * Una red para imágenes debe respetar la **localidad**, la **invarianza al movimiento** y la
      **composición jerárquica**; de Hubel y Wiesel al Neocognitron (1980) y a LeCun (1990).
    * Aplanar una imagen produce modelos enormes (¡10 millones de parámetros para 100 × 100 y
      1000 neuronas!) y sin invarianza al movimiento.
    * Una convolución tiene entrada $\mathbf{x}$, kernel $\mathbf{u}$ y salida $\mathbf{o}$.
    * En 1D: $(\mathbf{x} \circledast \mathbf{u})[i] = \sum_{m=0}^{w-1} x_{m+i} u_m$, con
      $W - w + 1$ salidas y **sin invertir** el kernel: es la correlación cruzada
      (`np.correlate`), no `np.convolve`; para un kernel aprendido da igual.
    * Una convolución es una capa densa con dos restricciones: **campo receptivo** pequeño
      (cada salida mira solo una ventana: localidad) y **compartición de pesos** (el mismo
      kernel en todas las posiciones). Sobre 100 × 100 con ventanas 3 × 3: 96 049 604
      parámetros (densa) → 96 040 (local) → 10 (convolución de un filtro).
    * La convolución es **equivariante** (la salida se mueve con la entrada); la invarianza
      llega al resumir la salida, por ejemplo con su máximo (*pooling*, cuaderno 5).
    * $(0,0,0,0,1,2,3,3) \circledast (-1,1) = (0,0,0,1,1,1,0)$: el kernel $(-1, 1)$ detecta
      incrementos y sirve para encontrar los flancos de subida de una señal real.
    * Compilar los bucles con Numba los acelera cientos o miles de veces.

    **Siguiente:** el cuaderno 2 lleva todo esto a imágenes (convolución 2D).

    **Para saber más:** *Dive into Deep Learning*, capítulo «Convolutional Neural Networks»
    (§7.1, «From Fully Connected Layers to Convolutions», para la sección 7);
    Dumoulin y Visin, *A guide to convolution arithmetic for deep learning*.
    """,
    grade_id="nb01-md-summary",
)

if __name__ == "__main__":
    print(nb.write("01_conv1d.ipynb"))
