"""Source of notebooks/02_conv2d.ipynb (images I3, 2D convolution C3, learned kernels C6-C7)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nbbuild import Notebook  # noqa: E402

nb = Notebook("nb02")

nb.md(
    r"""
    # Cuaderno 2 — Convolución 2D: imágenes en escala de grises

    **Objetivos.** Al terminar este cuaderno sabrás:

    1. cómo se codifica una imagen: una matriz de píxeles con valores entre 0 y 255;
    2. programar la convolución 2D con bucles, siguiendo la fórmula de la clase;
    3. qué hacen los kernels clásicos diseñados a mano (bordes, Sobel, desenfoque, enfoque) y
       explorarlos moviendo sus pesos;
    4. que los valores del kernel son los **parámetros** de la convolución: se aprenden. Lo
       comprobarás entrenando por descenso del gradiente un detector de líneas verticales, y
       verás qué datos hacen falta para que el kernel óptimo sea uno solo.

    Los ejercicios calificados están marcados con ✏️. Escribe tu código donde pone
    `# ESCRIBE AQUÍ TU CÓDIGO` (borra la línea `raise NotImplementedError()` que lo acompaña)
    y ejecuta la celda de comprobación que va justo después: te dice si vas bien y, si no, qué
    error típico parece que has cometido. Al calificar se ejecutan además comprobaciones
    ocultas con otros tamaños y casos límite; las reglas de cada enunciado (qué devolver, qué
    no usar) ya las comprueba la celda de comprobación.
    """,
    grade_id="nb02-md-goals",
)

nb.code(
    """
    # Preparación: ejecuta esta celda primero.
    import numpy as np

    import cnncourse
    import cnncourse._grading as checks  # pistas de las comprobaciones (no lo modifiques)
    from cnncourse import data, plotting
    from cnncourse.arithmetic import conv_steps_text
    from cnncourse.widgets import kernel_explorer, sweep_explorer

    np.set_printoptions(precision=3, suppress=True)
    rng = np.random.default_rng(0)
    photo = data.load_sample_image(gray=True)  # Grace Hopper, en escala de grises
    """,
    locked=True,
    grade_id="nb02-setup",
)

nb.md(
    r"""
    ## Notación: el orden de las dimensiones

    La clase escribe las dimensiones como **ancho × alto** ($W \times H$); NumPy, PyTorch y este
    curso guardan las imágenes como **filas × columnas**, es decir **alto × ancho**. Son las
    mismas matrices, nombradas en otro orden. Esta tabla lo dice una vez; a partir de aquí
    usamos siempre el orden de NumPy.

    | objeto | en la clase | en NumPy (este curso) | índices |
    |---|---|---|---|
    | imagen de entrada $\mathbf{x}$ | $W \times H$ | `x.shape == (H, W)` | `x[j, i]`: fila $j$, columna $i$ |
    | kernel $\mathbf{u}$ | $w \times h$ | `u.shape == (h, w)` | `u[n, m]`: fila $n$, columna $m$ |
    | salida $\mathbf{o}$ | $(W-w+1) \times (H-h+1)$ | `o.shape == (H - h + 1, W - w + 1)` | `o[j, i]` |
    | imagen en color (cuaderno 3) | $C \times W \times H$ | `x.shape == (C, H, W)` | `x[c, j, i]` |

    $W$ y $w$ son siempre **anchos** (columnas) y $H$ y $h$ **altos** (filas); solo cambia el
    orden en que se escriben. Por eso en el código se lee `H, W = x.shape` y `h, w = u.shape`:
    filas primero. (Y como en Python, en el texto escribimos los decimales con punto: 0.34.)
    """,  # noqa: E501 - markdown table rows cannot wrap
    concepts=["I3", "C3"],
    grade_id="nb02-md-notation",
)

nb.md(
    r"""
    ## 1. Las imágenes son matrices de píxeles

    Las imágenes son matrices de **píxeles**. Cada uno posee un valor entre 0 y 255 que
    representa la intensidad (0 negro, 255 blanco).

    * Si la imagen es en escala de grises, solo tendremos **una matriz**.
    * Si es en color, tendremos **tres matrices**, una por cada canal (rojo, verde y azul: R, G,
      B); las veremos en el cuaderno 3.

    En NumPy una imagen en gris es un array `(H, W)`: `H` filas (alto) y `W` columnas (ancho),
    de tipo `uint8` (enteros de 0 a 255).
    """,
    concepts=["I3"],
)

nb.code(
    """
    print(
        "forma:",
        photo.shape,
        " tipo:",
        photo.dtype,
        " valores en [",
        photo.min(),
        ",",
        photo.max(),
        "]",
    )
    print("un trozo de 6 x 6 píxeles de la foto (filas 190-195, columnas 180-185):")
    print(photo[190:196, 180:186])
    plotting.show_images(
        {"Grace Hopper (gris)": photo, "detalle 40 x 40": photo[170:210, 165:205]}
    );
    """,
    concepts=["I3"],
)

nb.md(
    r"""
    ## 2. Convolución 2D

    Cuando trabajamos con imágenes en escala de grises o cualquier matriz, utilizamos
    convoluciones 2D: las dimensiones del barrido definen el tipo de convolución. Tenemos
    (en el orden de NumPy, ver la tabla de notación):

    * matriz 2D de entrada $\mathbf{x}$, `x.shape == (H, W)` (la clase: $\mathbf{x} \in \mathbb{R}^{W \times H}$),
    * matriz 2D kernel $\mathbf{u}$, `u.shape == (h, w)` (la clase: $\mathbf{u} \in \mathbb{R}^{w \times h}$),
    * matriz 2D de salida $\mathbf{o}$, `o.shape == (H - h + 1, W - w + 1)`.

    La operación de convolución en 2D es:

    $$\mathbf{o}_{j,i} = (\mathbf{x} \circledast \mathbf{u})[j,i]
      = \sum_{n=0}^{h-1} \sum_{m=0}^{w-1} \mathbf{x}_{n+j,\,m+i} \cdot \mathbf{u}_{n,m}$$

    $j$ recorre las filas de la salida e $i$ sus columnas; $n$ recorre las $h$ filas del kernel
    y $m$ sus $w$ columnas. Como en 1D, **el kernel no se gira**: en 2D la convolución de las
    matemáticas (`scipy.signal.convolve2d`) lo gira 180° antes de deslizarlo; aquí no.

    ### El barrido, paso a paso

    Una entrada de $3 \times 3$ y un kernel de $2 \times 2$: la salida es de
    $(3-2+1) \times (3-2+1) = 2 \times 2$, y cada elemento es una suma de 4 productos.
    """,  # noqa: E501 - markdown text, kept as written
    concepts=["C3"],
)

nb.code(
    r"""
    x_small = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]], dtype=float)
    u_small = np.array([[1, 0], [2, -1]], dtype=float)
    print(conv_steps_text(x_small, u_small))
    print("cnncourse.conv2d:\n", cnncourse.conv2d(x_small, u_small))
    """,
    concepts=["C3"],
)

nb.md(
    r"""
    Recorre las cuatro posiciones con el deslizador: la ventana resaltada de $\mathbf{x}$, los
    productos con $\mathbf{u}$ y su suma, que rellena un elemento de $\mathbf{o}$, fila a fila.
    (El explorador necesita un Jupyter en marcha.)
    """,
    concepts=["C3"],
    locked=False,
)

nb.code(
    """
    sweep_explorer(x_small, u_small)
    """
)

nb.md(
    r"""
    ✏️ **Ejercicio 1 (3 puntos).** Implementa `conv2d_loops(x, u)` con bucles (puedes usar
    `np.sum` sobre la ventana `x[j:j+h, i:i+w] * u` en vez de los dos bucles interiores). Las
    reglas, que comprueban la celda de comprobación y también las comprobaciones ocultas que
    califican:

    * devuelve un `np.ndarray` nuevo de tipo `float`, de forma `(H - h + 1, W - w + 1)`;
    * no modifiques la entrada `x` ni el kernel `u`;
    * escribe tú la operación: no llames a una convolución ya hecha (`cnncourse.conv2d`,
      `cnncourse.conv1d`, `np.convolve`, `np.correlate` ni las de `scipy.signal` o
      `scipy.ndimage`). Se rechaza cualquier llamada a una función con uno de estos nombres,
      aunque la hayas escrito tú: `conv1d`, `conv2d`, `convolve`, `convolve1d`, `convolve2d`,
      `correlate`, `correlate1d`, `correlate2d`, `fftconvolve` y `oaconvolve`.
    """,
    concepts=["C3"],
)

nb.solution(
    '''
    def conv2d_loops(x, u):
        """Convolución 2D con bucles, sin girar el kernel: devuelve o, de forma
        (H - h + 1, W - w + 1), con o[j, i] = Σ_n Σ_m x[n + j, m + i] · u[n, m]."""
        ### BEGIN SOLUTION
        H, W = x.shape
        h, w = u.shape
        o = np.zeros((H - h + 1, W - w + 1))
        for j in range(H - h + 1):
            for i in range(W - w + 1):
                o[j, i] = np.sum(x[j : j + h, i : i + w] * u)
        return o
        ### END SOLUTION
    ''',
    grade_id="conv2d_loops",
    concepts=["C3"],
)

nb.tests(
    r'''
    """Comprueba conv2d_loops en una entrada 6 x 8 con un kernel 3 x 2 no simétrico."""
    x = (np.arange(48).reshape(6, 8) * 7 % 11).astype(float)  # enteros de 0 a 10
    u = np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 1.0]])  # h = 3 filas, w = 2 columnas
    expected = cnncourse.conv2d(x, u)  # la fórmula de la clase, de la biblioteca
    with checks.exercise(globals(), "conv2d_loops"):
        # las reglas del enunciado: sin convoluciones ya hechas, sin tocar x ni u, ndarray float
        o = checks.check_rules(
            conv2d_loops, (x, u), "conv2d_loops", globals(), caller=checks.call_conv2d_loops
        )
        assert o.shape == (4, 7), checks.explain_conv2d(o, x, u)
        checks.assert_close(
            o,
            expected,
            hint=lambda: checks.explain_conv2d(o, x, u),
            context=f"Con x =\n{x}\ny u =\n{u}",
        )
    print("¡Bien! conv2d_loops sigue la fórmula de la clase.")
    ### BEGIN HIDDEN TESTS
    import cnncourse._grading as _grading

    _grading.trusted(globals()).hidden_conv2d(conv2d_loops, globals())
    ### END HIDDEN TESTS
    ''',
    grade_id="test_conv2d_loops",
    points=3,
)

nb.md(
    r"""
    Tu función y `cnncourse.conv2d` (la misma fórmula, compilada con Numba) dan lo mismo; la de
    la biblioteca es la que usaremos con la foto entera. Probamos en un recorte de $64 \times 64$:
    """,
    concepts=["C3"],
)

nb.code(
    """
    crop = photo[170:234, 160:224]
    sobel_x = data.kernels_2d()["Sobel x"]
    mine = conv2d_loops(crop.astype(float), sobel_x)
    lib = cnncourse.conv2d(crop, sobel_x)
    print(
        "entrada",
        crop.shape,
        "kernel",
        sobel_x.shape,
        "-> salida",
        mine.shape,
        "| máxima diferencia con cnncourse.conv2d:",
        np.max(np.abs(mine - lib)),
    )
    """,
    concepts=["C3"],
)

nb.md(
    r"""
    ## 3. Kernels diseñados a mano

    Antes del deep learning, los filtros se diseñaban a mano. Cada kernel de $3 \times 3$ busca
    un patrón local:

    * **bordes verticales** $\begin{pmatrix}-1&0&1\\-1&0&1\\-1&0&1\end{pmatrix}$: resta la
      izquierda de la derecha, responde donde la intensidad cambia de izquierda a derecha;
    * **bordes horizontales**: lo mismo de arriba abajo;
    * **Sobel**: como los anteriores, pero la fila (o columna) central pesa el doble;
    * **desenfoque**: la media de la ventana $3 \times 3$ (el píxel y sus 8 vecinos);
    * **enfoque** $\begin{pmatrix}0&-1&0\\-1&5&-1\\0&-1&0\end{pmatrix}$: el píxel más sus
      diferencias con sus 4 vecinos ($5 \cdot$ píxel $-$ la suma de los 4 vecinos), resalta los
      detalles.

    Los kernels que dan intensidades (identidad, desenfoque, enfoque) se pintan en la escala de la
    foto, de 0 (negro) a 255 (blanco); los de bordes dan valores con signo y cada uno se pinta en
    su propia escala (negro: lo más negativo; blanco: lo más positivo).
    """,
    concepts=["C3"],
)

nb.code(
    """
    kernels = data.kernels_2d()
    names = [
        "identidad",
        "bordes verticales",
        "bordes horizontales",
        "Sobel x",
        "Sobel y",
        "desenfoque",
        "enfoque",
    ]
    plotting.show_kernels([kernels[k] for k in names], names)
    outputs = {name: cnncourse.conv2d(photo, kernels[name]) for name in names}
    intensity = ["identidad", "desenfoque", "enfoque"]
    plotting.show_images({k: outputs[k] for k in intensity}, vmin=0, vmax=255)
    plotting.show_images({k: v for k, v in outputs.items() if k not in intensity}, ncols=4);
    """,
    concepts=["C3"],
)

nb.md(
    r"""
    ### Explora: el explorador de kernels

    Mueve los 9 deslizadores (los pesos $u_{n,m}$) o elige un kernel predefinido y mira la salida
    al momento. Debajo se indican las formas: la salida tiene $(H-2) \times (W-2)$ píxeles.
    Prueba a girar 180° el kernel de bordes verticales (en este kernel equivale a cambiarle el
    signo): ¿qué bordes pasan a ser claros y cuáles oscuros? ¿Y si lo traspones (filas por
    columnas)? Por defecto, la salida se muestra con su propia escala de grises (su mínimo en
    negro y su máximo en blanco), lo que oculta la magnitud de los valores: si multiplicas el
    kernel por 5, la imagen no cambia. Marca «escala fija» (de 0 a 255, como la entrada), elige
    «identidad» y sube el peso central $u_{1,1}$ a 5: la salida se multiplica por 5 y casi la
    mitad de la imagen se satura en blanco. Debajo se indica siempre el rango de valores de la
    salida, que también se multiplica por 5. (El explorador necesita un Jupyter en marcha.)
    """,
    concepts=["C3"],
    locked=False,
)

nb.code(
    """
    kernel_explorer(photo)
    """
)

nb.md(
    r"""
    ## 4. ¡Muy importante! Los kernels se aprenden

    Los valores de $\mathbf{u}$ son los únicos **parámetros** de la convolución, es decir, se
    aprenden durante el entrenamiento del modelo. El propio modelo decide qué filtros son más
    adecuados para la tarea que se pretende resolver. (En una capa convolucional real cada
    filtro lleva además un **sesgo** $b$, un número que se suma a toda su salida,
    $\mathbf{o} = \mathbf{x} \circledast \mathbf{u} + b$: un filtro de $h \times w$ tiene
    $h \cdot w + 1$ parámetros. Aquí lo omitimos, como la clase.)

    Vamos a comprobarlo con el ejemplo de la clase: una red que aprende un filtro para
    **detectar líneas verticales**. Como en la clase, normalizamos la imagen de entrada al rango
    $[-1, 1]$: el negro (0) pasa a $-1$ y el blanco (255) a $1$, con $x / 127.5 - 1$.

    ✏️ **Ejercicio 2 (1 punto).** Escribe `to_unit_range(img)`: recibe una imagen `uint8` y
    devuelve un `np.ndarray` nuevo de la misma forma, de tipo `float` (float64, el de NumPy por
    defecto; no float32, que no tiene precisión suficiente), con valores en $[-1, 1]$: 0 da
    $-1$ y 255 da $1$. No modifiques `img`. Cuidado: con `uint8`, `img * 2` se desborda
    ($200 \cdot 2 = 144$); convierte a `float` antes de operar.
    """,
    concepts=["C6", "C7"],
)

nb.solution(
    '''
    def to_unit_range(img):
        """Lleva una imagen uint8 de [0, 255] a [-1, 1]: devuelve img / 127.5 - 1, de tipo
        float64."""
        ### BEGIN SOLUTION
        return np.asarray(img, dtype=float) / 127.5 - 1.0
        ### END SOLUTION
    ''',
    grade_id="to_unit_range",
    concepts=["C7"],
)

nb.tests(
    r'''
    """Comprueba to_unit_range: 0 -> -1, 255 -> 1, sin desbordar uint8."""
    img = np.array([[0, 255, 51], [204, 128, 100]], dtype=np.uint8)
    expected = np.array([[-1.0, 1.0, -0.6], [0.6, 1 / 255, -11 / 51]])
    with checks.exercise(globals(), "to_unit_range"):
        # las reglas del enunciado: sin tocar img, un ndarray float64 de la forma de img
        got = checks.check_rules(
            to_unit_range,
            (img,),
            "to_unit_range",
            globals(),
            caller=checks.call_to_unit_range,
            shape=img.shape,
        )
        checks.assert_close(
            got,
            expected,
            hint=lambda: checks.explain_unit_range(got, img),
            context=f"Con img =\n{img}",
        )
    unit_photo = to_unit_range(photo)
    print("foto normalizada: valores en [", unit_photo.min(), ",", unit_photo.max(), "]")
    ### BEGIN HIDDEN TESTS
    import cnncourse._grading as _grading

    _grading.trusted(globals()).hidden_unit_range(to_unit_range)
    ### END HIDDEN TESTS
    ''',
    grade_id="test_to_unit_range",
    points=1,
)

nb.md(
    r"""
    ### Aprender un detector de líneas verticales

    Los datos: 64 escenas pequeñas de $12 \times 12$, ya en la escala de la foto normalizada
    ($-1$ negro, $0$ gris medio, $1$ blanco). Cada escena tiene un fondo de un gris al azar
    (entre $-0.5$ y $0.5$) y una sola forma, 1 más clara o 1 más oscura que su fondo:

    * una **línea vertical** o una **línea horizontal**: un segmento de un píxel de grosor y de
      6 píxeles de largo o más, en un sitio al azar;
    * una **barra vertical** o una **barra horizontal**: una franja ancha, de 3 a 5 píxeles,
      que cruza la escena.

    Encima, cada píxel lleva un **ruido** gaussiano de desviación típica $0.3$, como el de una
    cámara. Algunos píxeles se salen de $[-1, 1]$: una forma clara sobre un fondo ya claro
    llega a $1.5$, y el ruido suma o resta algo más.

    Para cada escena $\mathbf{x}_k$, la respuesta deseada $\mathbf{t}_k$ tiene un valor por
    ventana de $3 \times 3$: $+1$ si el centro de la ventana está sobre una línea vertical
    **clara**, $-1$ si está sobre una línea vertical **oscura** y $0$ en el resto (el fondo,
    las líneas horizontales y las barras, que son claras u oscuras pero no son líneas). ¿Por
    qué $-1$ para las oscuras? La convolución es lineal: si un kernel no responde a un fondo
    uniforme, cambiar el signo del contraste de una línea cambia el signo de su respuesta. Un
    filtro lineal no puede dar $+1$ a una línea clara y también a la misma línea oscura; el
    signo de $\mathbf{t}$ dice si la línea es clara u oscura. Es lo que responde, en signo, el
    detector clásico de líneas verticales, $[-1, 2, -1]$ en cada fila del kernel.

    El modelo es una sola convolución, $\mathbf{o}_k = \mathbf{x}_k \circledast \mathbf{u}$, con un
    kernel $3 \times 3$. Medimos cuánto se equivoca con el error cuadrático medio (MSE) sobre
    las $N$ escenas y las $H_o \times W_o$ posiciones de salida:

    $$L(\mathbf{u}) = \frac{1}{N H_o W_o} \sum_{k} \sum_{j,i} \left(\mathbf{o}_k[j,i]
      - \mathbf{t}_k[j,i]\right)^2$$

    y lo reducimos por **descenso del gradiente**: $\mathbf{u} \leftarrow \mathbf{u} -
    \eta \, \nabla_{\mathbf{u}} L$. Como $\partial \mathbf{o}_k[j,i] / \partial u_{n,m} =
    \mathbf{x}_k[n+j, m+i]$,

    $$\frac{\partial L}{\partial u_{n,m}} = \frac{2}{N H_o W_o} \sum_k \sum_{j,i}
      \left(\mathbf{o}_k - \mathbf{t}_k\right)[j,i] \; \mathbf{x}_k[n+j, m+i].$$

    ¡Es otra convolución! El gradiente es la entrada convolucionada con el error:
    $\sum_k \mathbf{x}_k \circledast (\mathbf{o}_k - \mathbf{t}_k)$, por $2/(N H_o W_o)$.
    """,
    concepts=["C6", "C7"],
)

nb.code(
    '''
    images, targets, kinds = data.line_scenes(n=64, size=12, seed=0)
    print("escenas", images.shape, "| respuestas deseadas", targets.shape)
    for kind in ("línea vertical", "línea horizontal", "barra vertical", "barra horizontal"):
        print(f"{kind:>16}: {np.sum(kinds == kind)} escenas")
    print(
        "ventanas con t = +1:",
        np.sum(targets == 1),
        "| con t = -1:",
        np.sum(targets == -1),
        "| con t = 0:",
        np.sum(targets == 0),
    )


    def examples(kinds, targets):
        """Una escena de cada tipo (la línea vertical, clara y oscura): {título: índice}."""
        first = {k: int(np.flatnonzero(kinds == k)[0]) for k in np.unique(kinds)}
        return {
            "línea vertical clara": int(np.flatnonzero(targets.max(axis=(1, 2)) > 0)[0]),
            "línea vertical oscura": int(np.flatnonzero(targets.min(axis=(1, 2)) < 0)[0]),
            "línea horizontal": first["línea horizontal"],
            "barra vertical": first["barra vertical"],
            "barra horizontal": first["barra horizontal"],
        }


    shown = examples(kinds, targets)
    plotting.show_images({k: images[i] for k, i in shown.items()}, size=2.4)
    plotting.show_images(
        {f"t ({k})": targets[i] for k, i in shown.items()}, cmap="RdBu_r", vmin=-1, vmax=1, size=2.4
    )


    def predict(images, u):
        """o_k = x_k ⊛ u para cada imagen de una pila (N, H, W), con cnncourse.conv2d."""
        return cnncourse.conv2d(images[:, None], u[None, None])[:, 0]


    def loss(images, u, targets):
        return np.mean((predict(images, u) - targets) ** 2)
    ''',
    concepts=["C7"],
)

nb.md(
    r"""
    ✏️ **Ejercicio 3 (3 puntos).** Escribe `loss_grad(x, u, t)`: el gradiente
    $\nabla_{\mathbf{u}} L$ de la fórmula anterior para una pila de imágenes `x` de forma
    `(N, H, W)`, un kernel `u` de forma `(h, w)` y respuestas deseadas `t` de forma
    `(N, H-h+1, W-w+1)`.
    Devuelve un `np.ndarray` nuevo de tipo `float`, de la misma forma que `u`. Aquí puedes usar
    bucles, tu `conv2d_loops` o `cnncourse.conv2d`. No modifiques las entradas.
    """,
    concepts=["C6", "C7"],
)

nb.solution(
    '''
    def loss_grad(x, u, t):
        """Gradiente de L = media((x_k ⊛ u - t_k)²) respecto al kernel u, de la forma de u."""
        ### BEGIN SOLUTION
        N = x.shape[0]
        err = np.stack([cnncourse.conv2d(x[k], u) for k in range(N)]) - t
        grad = np.zeros(u.shape)
        for k in range(N):
            grad += cnncourse.conv2d(x[k], err[k])
        return 2.0 * grad / err.size
        ### END SOLUTION
    ''',
    grade_id="loss_grad",
    concepts=["C7"],
)

nb.tests(
    r'''
    """Comprueba loss_grad contra el gradiente numérico (diferencias finitas) en un caso pequeño."""
    gen = np.random.default_rng(2)
    xs = gen.normal(size=(3, 6, 10))  # N = 3 imágenes de 6 x 10
    us = gen.normal(size=(2, 4))  # un kernel 2 x 4
    ts = gen.normal(size=(3, 5, 7))  # respuestas (N, Ho, Wo)
    numeric = np.zeros_like(us)
    eps = 1e-6
    for idx in np.ndindex(*us.shape):
        du = np.zeros_like(us)
        du[idx] = eps
        numeric[idx] = (loss(xs, us + du, ts) - loss(xs, us - du, ts)) / (2 * eps)
    with checks.exercise(globals(), "loss_grad", needs=("conv2d_loops",)):
        # las reglas del enunciado: sin tocar las entradas, un ndarray float
        g = checks.check_rules(
            loss_grad, (xs, us, ts), "loss_grad", globals(), caller=checks.call_loss_grad
        )
        assert g.shape == us.shape, checks.explain_loss_grad(g, numeric, xs, ts)
        checks.assert_close(
            g,
            numeric,
            hint=lambda: checks.explain_loss_grad(g, numeric, xs, ts),
            context="Comparado con el gradiente numérico (L(u + ε) - L(u - ε)) / 2ε de cada peso.",
            rtol=1e-5,
            atol=1e-8,
        )
    rel_error = np.max(np.abs(g - numeric)) / np.max(np.abs(numeric))
    print(f"¡Bien! Error relativo frente al gradiente numérico: {rel_error:.1e}")
    ### BEGIN HIDDEN TESTS
    import cnncourse._grading as _grading

    _grading.trusted(globals()).hidden_loss_grad(loss_grad, globals())
    ### END HIDDEN TESTS
    ''',
    grade_id="test_loss_grad",
    points=3,
)

nb.md(
    r"""
    ### ¿Hay un solo kernel óptimo?

    Como $\mathbf{o}_k$ es lineal en $\mathbf{u}$, todas las salidas se pueden escribir a la vez
    como un producto de una matriz por un vector: cada ventana de $3 \times 3$ de cada escena,
    aplanada, es una fila de una matriz $A$ (aquí $64 \cdot 10 \cdot 10 = 6400$ filas y 9
    columnas, una por peso), y $A\,\mathbf{u}$, con $\mathbf{u}$ aplanado, son las 6400
    salidas; `data.window_matrix` la construye. Con las respuestas deseadas aplanadas también
    en un vector $\mathbf{t}$ de 6400 valores, la pérdida es
    $L(\mathbf{u}) = \frac{1}{6400} \lVert A\,\mathbf{u} - \mathbf{t} \rVert^2$, una función
    cuadrática de los 9 pesos, y su mínimo se puede calcular directamente por **mínimos
    cuadrados** (`np.linalg.lstsq`).

    ¿Es un **único** kernel? Lo dice el **rango** de $A$. Si dos kernels $\mathbf{u}$ y
    $\mathbf{u}'$ dieran las mismas salidas en todas las ventanas, $A(\mathbf{u} - \mathbf{u}')
    = 0$. Con rango 9, el máximo (uno por peso), eso solo ocurre si $\mathbf{u} = \mathbf{u}'$:
    dos kernels distintos se distinguen siempre en alguna ventana y la pérdida tiene **un
    único mínimo**. Con un rango menor hay direcciones $\mathbf{z} \neq 0$ con
    $A\,\mathbf{z} = 0$: sumarle $\mathbf{z}$ a un kernel óptimo no cambia ninguna salida ni la
    pérdida, y hay infinitos óptimos.

    Es lo que pasa con datos más sencillos: líneas que cruzan toda la imagen sobre un fondo
    uniforme (`data.line_images`: fondo $-1$, línea $+1$). Allí cada ventana vale $-1$ en
    todas partes salvo, a veces, una fila o una columna entera a $+1$, así que cada salida solo
    depende de la suma de los 9 pesos y de la suma de una fila o de una columna del kernel. Las
    ventanas solo fijan las 3 sumas por filas y las 3 sumas por columnas: 5 números
    independientes (las dos ternas suman lo mismo, el total), rango 5. Cualquier kernel cuyas
    filas y columnas sumen cero, como el $\mathbf{z}$ de abajo, se puede sumar sin cambiar nada.
    En nuestras escenas, los fondos al azar, los extremos de los segmentos, las barras y el
    ruido rompen esa estructura:
    """,
    concepts=["C6", "C7"],
)

nb.code(
    r"""
    A = data.window_matrix(images)  # una fila por ventana 3 x 3, aplanada
    clean, _ = data.line_images(n=64, size=12, seed=0)  # líneas sobre un fondo uniforme
    A_clean = data.window_matrix(clean)
    print("escenas:                 A", A.shape, "-> rango", np.linalg.matrix_rank(A))
    print("líneas sobre fondo liso: A", A_clean.shape, "-> rango", np.linalg.matrix_rank(A_clean))
    z = np.array([[1.0, -1.0, 0.0], [-1.0, 1.0, 0.0], [0.0, 0.0, 0.0]])  # filas y columnas suman 0
    print(
        f"máximo de |A z|: escenas {np.abs(A @ z.ravel()).max():.2f}, "
        f"líneas sobre fondo liso {np.abs(A_clean @ z.ravel()).max():.2f}"
    )
    u_best = np.linalg.lstsq(A, targets.ravel(), rcond=None)[0].reshape(3, 3)
    best_loss = loss(images, u_best, targets)
    print(f"el óptimo por mínimos cuadrados (pérdida {best_loss:.4f}):\n", u_best)
    """,
    concepts=["C6", "C7"],
)

nb.md(
    r"""
    ### Entrenamiento: desde cero y desde un kernel al azar

    Ahora lo buscamos por descenso del gradiente, con tu `loss_grad`, dos veces: empezando con
    el kernel a cero y empezando con 9 pesos al azar (normales de media 0 y desviación típica
    1, mucho mayores que los del óptimo). Damos 150 pasos con tasa de aprendizaje
    $\eta = 0.25$ (con estos datos, una tasa de $0.54$ o más diverge). Si el óptimo es único,
    los dos caminos deben acabar en el mismo kernel: el de mínimos cuadrados. La gráfica
    muestra lo que a cada uno le falta para llegar a la pérdida mínima, en escala logarítmica.
    (Son 300 llamadas a tu `loss_grad`, una por paso: con la de la solución la celda tarda unos
    segundos; si la tuya recorre con bucles de Python cada píxel, puede tardar un minuto.)
    """,
    concepts=["C6", "C7"],
)

nb.code(
    r'''
    def train(u, steps=150, lr=0.25, keep=(5, 20, 50)):
        """Descenso del gradiente desde u: el kernel final, la pérdida en cada paso y algunos
        kernels intermedios."""
        losses, snapshots = [], {"paso 0": u.copy()}
        for step in range(steps):
            losses.append(loss(images, u, targets))
            if step in keep:
                snapshots[f"paso {step}"] = u.copy()
            u = u - lr * loss_grad(images, u, targets)
        losses.append(loss(images, u, targets))  # la pérdida tras el último paso
        snapshots[f"paso {steps}"] = u.copy()
        return u, losses, snapshots


    u_zero, u_rand = np.zeros((3, 3)), rng.normal(size=(3, 3))  # los dos puntos de partida
    u_zero, losses_zero, snaps_zero = train(u_zero)
    u_rand, losses_rand, snaps_rand = train(u_rand)
    runs = {"desde cero": (u_zero, losses_zero), "al azar": (u_rand, losses_rand)}
    for name, (u_end, losses) in runs.items():
        print(
            f"{name:>10}: pérdida {losses[0]:.4f} -> {losses[-1]:.4f}; "
            f"máxima diferencia con el óptimo {np.max(np.abs(u_end - u_best)):.1e}"
        )
    plotting.show_kernels(
        [*list(snaps_zero.values())[1:], u_best],
        [f"desde 0, {k}" for k in list(snaps_zero)[1:]] + ["mínimos cuadrados"],
    )
    plotting.show_kernels(list(snaps_rand.values()), [f"al azar, {k}" for k in snaps_rand])
    fig = plotting.plot_losses(
        np.array(losses_zero) - best_loss,
        title="Los dos caminos llegan al mismo mínimo",
        ylabel="pérdida - pérdida mínima",
    )
    fig.axes[0].plot(np.array(losses_rand) - best_loss)
    fig.axes[0].set_xlabel("paso")
    fig.axes[0].legend(["desde cero", "desde un kernel al azar"]);
    ''',
    concepts=["C6", "C7"],
)

nb.md(
    r"""
    ### Qué ha aprendido, y por qué

    Desde cero y desde el azar sale el mismo kernel, el único óptimo, y es un detector de
    líneas verticales: una **columna central positiva** y **columnas laterales negativas**. En
    cada fila, los lados pesan algo menos de la mitad del centro y con el signo contrario: casi
    el detector clásico $[-1, 2, -1]$ (abajo, cada fila dividida entre su peso central). Nadie
    lo ha diseñado: ha salido de los datos, y cada tipo de escena ha fijado una parte.

    * Las **zonas uniformes**, el fondo de cada escena y el interior de las barras: la
      respuesta deseada es 0 con cualquier gris, del más oscuro al más claro, así que los 9
      pesos deben sumar casi cero, y la columna central positiva necesita lados negativos. Las
      barras, 1 más claras o más oscuras que su fondo, añaden zonas uniformes de grises más
      extremos.
    * Las **líneas horizontales**: una línea horizontal que cruza la ventana solo añade a la
      respuesta del fondo la suma de una fila del kernel (por su contraste), y debe dar 0: cada
      fila suma casi cero.
    * Las **líneas verticales**: la columna central, la que cae sobre la línea, pesa mucho más
      que los lados.
    * El **ruido**: reparte el peso entre las tres filas, que promedian tres píxeles de la
      línea (sin ruido, con `data.line_scenes(noise=0)`, el óptimo solo usa la fila central).

    Y es un kernel pequeño: sobre una línea limpia (un fondo 0 sin ruido) la respuesta es de
    unos $0.32$, no de $1$. Un kernel mayor acercaría a $\pm 1$ la respuesta en las 226
    ventanas con $t = \pm 1$, pero agrandaría también el ruido, los bordes de las barras y los
    extremos de los segmentos en las 6174 ventanas con $t = 0$. El mínimo de la pérdida es un
    término medio.

    Es una lección general: **un modelo aprende lo que muestran sus datos**. Con los datos más
    sencillos de «¿Hay un solo kernel óptimo?», líneas claras que cruzan un fondo oscuro y
    uniforme, y una respuesta deseada de $+1$ sobre las líneas verticales y $-1$ en todo lo
    demás, nada le pide lados negativos: entre sus infinitos óptimos, mínimos cuadrados y el
    descenso desde cero dan el de menor norma, una columna central sin más, que suma el brillo
    de tres píxeles y en una foto marca las zonas claras, no las líneas.
    """,
    concepts=["C7"],
)

nb.code(
    """
    u = u_zero  # el kernel aprendido
    reference = np.array([[-1.0, 2.0, -1.0]] * 3)  # [-1, 2, -1] en cada fila
    print("cada fila del kernel aprendido dividida entre su peso central:\\n", u / u[:, 1:2])
    print("suma de cada fila:", u.sum(axis=1), "| de los 9 pesos:", f"{u.sum():.3f}")
    print(f"respuesta a una línea clara sobre un fondo 0, sin ruido: {u[:, 1].sum():.2f}")
    plotting.show_kernels([u, reference], ["aprendido", "[-1, 2, -1] en cada fila"]);
    """,
    concepts=["C7"],
)

nb.md(
    r"""
    Apliquémoslo a escenas nuevas, que no vio al entrenar, una de cada tipo. Sobre las líneas
    verticales responde con fuerza y con el signo del contraste; a las líneas horizontales y al
    interior de las barras, casi nada. En los bordes de una barra responde algo, como
    $[-1, 2, -1]$, que en un borde da la mitad que en una línea, con un signo a cada lado. El
    resto es ruido.

    ¿Y en una foto? Pintamos la respuesta a la foto normalizada restándole su media: en rojo,
    lo que responde más que la media; en azul, lo que responde menos. Las líneas son los trazos
    intensos: rojos donde la línea es más clara que lo que la rodea, azules donde es más
    oscura. Al lado, la respuesta del kernel traspuesto, `u.T` (filas por columnas), que es un
    detector de líneas **horizontales**. Los detalles muestran la diferencia: en las cintas de
    las condecoraciones, `u` marca sus rayas verticales y `u.T`, sus bordes de arriba y de
    abajo; en la cara, `u` marca los lados de la nariz y de las gafas, y `u.T`, la parte de
    arriba de la montura y la boca. Fíjate también en el tono que toman zonas enteras: lo
    explicamos después de las figuras.
    """,
    concepts=["C7"],
)

nb.code(
    r"""
    new_images, new_targets, new_kinds = data.line_scenes(n=16, size=12, seed=7)
    pick = examples(new_kinds, new_targets)
    responses = {k: predict(new_images[i : i + 1], u)[0] for k, i in pick.items()}
    plotting.show_images({k: new_images[i] for k, i in pick.items()}, size=2.4)
    lim = max(float(np.abs(r).max()) for r in responses.values())  # una escala para todas
    plotting.show_images(
        {f"x ⊛ u ({k})": r for k, r in responses.items()},
        cmap="RdBu_r",
        vmin=-lim,
        vmax=lim,
        size=2.4,
    )
    for k, i in pick.items():
        r, line = responses[k], new_targets[i] != 0
        on_line = f"media donde t = ±1: {r[line].mean():+.2f}; " if line.any() else ""
        print(f"{k:>21}: {on_line}media de |x ⊛ u| donde t = 0: {np.abs(r[~line]).mean():.2f}")

    unit_photo = to_unit_range(photo)
    face = (slice(150, 330), slice(130, 330))  # detalles (filas, columnas): la cara
    ribbons = (slice(480, 535), slice(315, 470))  # y las cintas de las condecoraciones
    vertical = cnncourse.conv2d(unit_photo, u)
    horizontal = cnncourse.conv2d(unit_photo, u.T)
    vertical, horizontal = vertical - vertical.mean(), horizontal - horizontal.mean()
    lim = float(np.percentile(np.abs(vertical), 99))
    plotting.show_images(
        {"foto en [-1, 1]": unit_photo, "cara": unit_photo[face], "cintas": unit_photo[ribbons]}
    )
    plotting.show_images(
        {
            "foto ⊛ u, menos su media": vertical,
            "foto ⊛ u.T, menos su media": horizontal,
            "cara: foto ⊛ u": vertical[face],
            "cara: foto ⊛ u.T": horizontal[face],
        },
        cmap="RdBu_r",
        vmin=-lim,
        vmax=lim,
        ncols=2,
        size=4,
    )
    plotting.show_images(
        {"cintas: foto ⊛ u": vertical[ribbons], "cintas: foto ⊛ u.T": horizontal[ribbons]},
        cmap="RdBu_r",
        vmin=-lim,
        vmax=lim,
        size=4,
    );
    """,
    concepts=["C7"],
)

nb.md(
    r"""
    Además de las líneas, zonas enteras salen teñidas: la cara, que es clara, en rojo, y el
    uniforme, que es oscuro, en azul. Es el **brillo**: los 9 pesos suman $0.054$, no
    exactamente cero, y el kernel es casi $0.05 \cdot [-1, 2, -1]$ en cada fila más $0.006$ en
    cada peso, un poco de desenfoque. Es otro término medio del entrenamiento: en las escenas,
    una línea clara suma brillo a su ventana y una oscura se lo resta, así que ese poco de
    brillo acerca en promedio a $\pm 1$ la respuesta en las líneas, y cuesta poco en los
    fondos, cuyo gris solo va de $-0.5$ a $0.5$. Una foto, en cambio, tiene grandes zonas
    claras y oscuras y pocas líneas de mucho contraste: en la mayoría de sus píxeles, la parte
    del brillo es mayor que la de las líneas.

    En números, con la correlación entre las respuestas de dos kernels en la foto (1 sería la
    misma imagen salvo la escala): la respuesta de `u` se parece a la de $[-1, 2, -1]$ en cada
    fila (correlación $0.63$) mucho más que a la del detector horizontal ($0.13$), pero también
    a la del desenfoque ($0.84$), por el brillo. Si se lo quitamos, restando a cada peso la
    media de los 9, la correlación con $[-1, 2, -1]$ sube a $0.998$: sin el brillo, lo que ha
    aprendido es el detector de líneas verticales.
    """,
    concepts=["C7"],
)

nb.code(
    r'''
    unit_photo = to_unit_range(photo)  # la foto en [-1, 1], como en la celda anterior


    def similarity(kernel, other):
        """Correlación entre las respuestas de dos kernels en la foto (1: iguales salvo escala)."""
        a, b = cnncourse.conv2d(unit_photo, kernel), cnncourse.conv2d(unit_photo, other)
        return np.corrcoef(a.ravel(), b.ravel())[0, 1]


    print(f"correlación con [-1, 2, -1] en cada fila: {similarity(u, reference):.2f}")
    print(f"correlación con su traspuesto (líneas horizontales): {similarity(u, reference.T):.2f}")
    print(f"correlación con el desenfoque (el brillo): {similarity(u, kernels['desenfoque']):.2f}")
    no_brightness = u - u.mean()  # los mismos pesos, con suma 0
    print(f"sin el brillo, con [-1, 2, -1]: {similarity(no_brightness, reference):.3f}")
    ''',
    concepts=["C7"],
)

nb.md(
    r"""
    ## Resumen

    * Una imagen en gris es una matriz de píxeles con valores entre 0 y 255: $W \times H$ en la
      clase, `(H, W)` en NumPy (filas primero).
    * Convolución 2D: $\mathbf{o}_{j,i} = \sum_{n}\sum_{m} \mathbf{x}_{n+j,m+i}\,
      \mathbf{u}_{n,m}$, salida `(H - h + 1, W - w + 1)`, sin girar el kernel.
    * Kernels clásicos: bordes, Sobel, desenfoque, enfoque; cada uno resalta un patrón local.
    * Los valores del kernel son los **únicos parámetros** de la convolución: se aprenden por
      descenso del gradiente, y el gradiente de la pérdida es otra convolución.
    * Con escenas normalizadas variadas (fondos al azar, líneas y barras claras u oscuras,
      ruido) la matriz de ventanas tiene rango 9: el óptimo de mínimos cuadrados es **un único
      kernel**, y el descenso del gradiente llega a él desde cero y desde un kernel al azar. Es
      un detector de líneas verticales: columna central positiva y lados negativos, casi
      $[-1, 2, -1]$ en cada fila, y en la foto marca los trazos verticales. Sus pesos no suman
      exactamente cero: lleva también un poco del brillo, que en la foto tiñe zonas enteras.
    * Un modelo aprende lo que muestran sus datos: con líneas sobre un fondo uniforme las
      ventanas solo fijan las sumas por filas y por columnas del kernel (rango 5) y hay
      infinitos óptimos; si la respuesta deseada es $-1$ en todo lo que no es una línea
      vertical, el que dan mínimos cuadrados y el descenso desde cero no tiene lados
      negativos y en una foto marca las zonas claras.
    * Una capa convolucional real suma además un sesgo por filtro: $h \cdot w + 1$ parámetros.

    **Siguiente:** el cuaderno 3 pasa a imágenes en color (RGB).
    """,
    grade_id="nb02-md-summary",
)

if __name__ == "__main__":
    print(nb.write("02_conv2d.ipynb"))
