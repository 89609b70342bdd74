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
       comprobarás entrenando por descenso del gradiente un detector de líneas verticales.

    Los ejercicios calificados están marcados con ✏️; tras cada uno hay una celda de test.
    """,
    grade_id="nb02-md-goals",
)

nb.code(
    """
    # Preparación: ejecuta esta celda primero.
    import numpy as np

    import cnncourse
    import cnncourse._grading as checks  # pistas de los tests (no lo modifiques)
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
    reglas, que comprueban la celda de test y también las comprobaciones ocultas que califican:

    * devuelve un `np.ndarray` de `float` nuevo, de forma `(H - h + 1, W - w + 1)`;
    * no modifiques la entrada `x` ni el kernel `u`;
    * escribe tú la operación: no llames a una convolución ya hecha (`cnncourse.conv2d`,
      `cnncourse.conv1d`, `np.convolve`, `np.correlate` ni las de `scipy.signal` o
      `scipy.ndimage`). Se rechaza cualquier llamada a una función con esos nombres (`conv2d`,
      `convolve`, `correlate2d`...), aunque la hayas escrito tú.
    """,
    concepts=["C3"],
)

nb.solution(
    '''
    def conv2d_loops(x, u):
        """2D cross-correlation with loops: o[j, i] = sum_n sum_m x[n + j, m + i] * u[n, m]."""
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
    * **enfoque** $\begin{pmatrix}0&-1&0\\-1&5&-1\\0&-1&0\end{pmatrix}$: el píxel más su
      diferencia con sus 4 vecinos ($5 \cdot$ píxel $-$ los 4 vecinos), resalta los detalles.

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
        """Map a uint8 image in [0, 255] to floats in [-1, 1]: img / 127.5 - 1."""
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

    Los datos: 64 imágenes pequeñas de $12 \times 12$ con una línea recta cada una, vertical u
    horizontal, ya en $[-1, 1]$ (fondo $-1$, línea $+1$). Para cada imagen $\mathbf{x}_k$ la
    respuesta deseada $\mathbf{t}_k$ es $+1$ donde el centro de la ventana está sobre una línea
    **vertical** y $-1$ en el resto (fondo y líneas horizontales).

    El modelo es una sola convolución, $\mathbf{o}_k = \mathbf{x}_k \circledast \mathbf{u}$, con un
    kernel $3 \times 3$ que empieza valiendo cero. Medimos cuánto se equivoca con el error
    cuadrático medio (MSE) sobre las $N$ imágenes y las $H_o \times W_o$ posiciones de salida:

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
    images, is_vertical = data.line_images(n=64, size=12, seed=0)
    targets = data.vertical_line_targets(images)
    print(
        "imágenes",
        images.shape,
        "en [",
        images.min(),
        ",",
        images.max(),
        "]; respuestas",
        targets.shape,
    )
    plotting.show_images(
        [images[0], targets[0], images[1], targets[1]],
        [
            "x_0 (" + ("vertical" if is_vertical[0] else "horizontal") + ")",
            "t_0",
            "x_1 (" + ("vertical" if is_vertical[1] else "horizontal") + ")",
            "t_1",
        ],
    )


    def predict(images, u):
        """o_k = x_k ⊛ u for every image of an (N, H, W) stack, with cnncourse.conv2d."""
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
    `(N, H, W)`, un kernel `u` de forma `(h, w)` y respuestas `t` de forma `(N, H-h+1, W-w+1)`.
    Devuelve un `np.ndarray` de `float` de la misma forma que `u`. Aquí puedes usar bucles, tu
    `conv2d_loops` o `cnncourse.conv2d`. No modifiques las entradas.
    """,
    concepts=["C6", "C7"],
)

nb.solution(
    '''
    def loss_grad(x, u, t):
        """Gradient of L = mean((x_k ⊛ u - t_k)^2) with respect to the kernel u, shape u.shape."""
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
    ### Entrenamiento

    Empezamos con el kernel a cero y damos 100 pasos de descenso del gradiente con tasa de
    aprendizaje $\eta = 0.1$ (con estos datos, un paso de $0.15$ o más ya diverge). Guardamos el
    kernel en algunos pasos para ver cómo se forma.

    Como $\mathbf{o}$ es lineal en $\mathbf{u}$, el mínimo exacto de $L$ también se puede
    calcular directamente, por **mínimos cuadrados**: cada ventana de $3 \times 3$ es una fila
    de una matriz y $\mathbf{u}$ (aplanado) son los 9 coeficientes. Lo usamos para comprobar que
    el descenso del gradiente llega al óptimo.
    """,
    concepts=["C6", "C7"],
)

nb.code(
    r"""
    u = np.zeros((3, 3))
    lr = 0.1
    losses, snapshots = [], {}
    for step in range(100):
        losses.append(loss(images, u, targets))
        if step in (5, 15, 40):
            snapshots[f"paso {step}"] = u.copy()
        u = u - lr * loss_grad(images, u, targets)
    losses.append(loss(images, u, targets))  # la pérdida tras el último paso
    snapshots["paso 100"] = u.copy()

    # el óptimo por mínimos cuadrados: una fila por ventana 3 x 3 de cada imagen
    windows = np.lib.stride_tricks.sliding_window_view(images, (3, 3), axis=(1, 2)).reshape(-1, 9)
    u_best = np.linalg.lstsq(windows, targets.ravel(), rcond=None)[0].reshape(3, 3)
    print(
        f"pérdida inicial {losses[0]:.4f} -> final {losses[-1]:.4f}  "
        f"(óptimo {loss(images, u_best, targets):.4f})"
    )
    print("kernel aprendido:\n", u)
    print("óptimo por mínimos cuadrados:\n", u_best)
    print(f"máxima diferencia: {np.max(np.abs(u - u_best)):.1e}")
    snapshots["óptimo"] = u_best
    plotting.show_kernels(list(snapshots.values()), list(snapshots))
    plotting.plot_losses(losses, title="Aprendiendo un detector de líneas verticales");
    """,
    concepts=["C6", "C7"],
)

nb.md(
    r"""
    El kernel aprendido es el óptimo: una **columna central** de unos $0.34$ y el resto casi
    cero. Responde a píxeles claros alineados en vertical: suma los tres píxeles de la columna
    central de la ventana. Nadie lo ha diseñado: ha salido de los datos.

    Apliquémoslo a imágenes nuevas, dos con línea vertical y dos con línea horizontal: la
    respuesta es alta (cerca de $+1$) sobre las líneas verticales y baja en el resto.

    ¿Y en una foto? Este kernel no tiene pesos negativos a los lados: solo suma los tres píxeles
    de una columna. En la foto normalizada a $[-1, 1]$ su respuesta casi coincide con el **brillo
    medio de 3 píxeles en vertical**, y una zona clara uniforme (respuesta $1.04$) responde
    incluso más que una línea fina ($0.99$). Lo pintamos restando la media, en **rojo** lo más
    claro que la media y en **azul** lo más oscuro: salen la gorra, el cuello y el fondo claros,
    no "las líneas verticales". El kernel solo sabe de líneas claras **sobre fondo oscuro**, que
    es lo único que vio al entrenar. Es una lección general: **un modelo aprende lo que muestran
    sus datos**. Para detectar líneas en fotos, los datos de entrenamiento deberían incluir
    también zonas claras anchas (que no son líneas), y el kernel aprendería pesos negativos a los
    lados, como el de bordes verticales.
    """,
    concepts=["C7"],
)

nb.code(
    """
    pool, pool_vertical = data.line_images(n=16, size=12, seed=7)
    pick = np.r_[np.flatnonzero(pool_vertical)[:2], np.flatnonzero(~pool_vertical)[:2]]
    new_images, new_vertical = pool[pick], pool_vertical[pick]
    responses = predict(new_images, u)
    kinds = ["vertical" if v else "horizontal" for v in new_vertical]
    plotting.show_images(list(new_images), kinds, size=2.4)
    lim = float(np.abs(responses).max())  # una sola escala para comparar las respuestas
    plotting.show_images(
        list(responses),
        [f"x ⊛ u ({k})" for k in kinds],
        size=2.4,
        vmin=-lim,
        vmax=lim,
        colorbar=True,
    )
    for kind, r in zip(kinds, responses, strict=True):
        print(f"{kind:>10}: respuesta máxima {r.max():+.2f}")
    unit_photo = to_unit_range(photo)
    response = cnncourse.conv2d(unit_photo, u)
    centred = response - response.mean()
    lim = float(np.percentile(np.abs(centred), 99))
    plotting.show_images({"foto en [-1, 1]": unit_photo})
    plotting.show_images(
        {"foto ⊛ u aprendido, menos su media": centred},
        cmap="RdBu_r",
        vmin=-lim,
        vmax=lim,
        colorbar=True,
    );
    """,
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
    * Los valores del kernel son los **únicos parámetros** de la convolución: se aprenden. Con
      una imagen normalizada a $[-1, 1]$ y descenso del gradiente, un kernel que empieza a cero
      se convierte en un detector de líneas verticales (el óptimo de mínimos cuadrados: una
      columna central de unos $0.34$); su gradiente es otra convolución.
    * Una capa convolucional real suma además un sesgo por filtro: $h \cdot w + 1$ parámetros.

    **Siguiente:** el cuaderno 3 pasa a imágenes en color (RGB).
    """,
    grade_id="nb02-md-summary",
)

if __name__ == "__main__":
    print(nb.write("02_conv2d.ipynb"))
