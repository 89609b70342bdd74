"""Source of notebooks/04_hyperparameters.ipynb (hyperparameters H1-H5, parameter count I4)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nbbuild import Notebook  # noqa: E402

nb = Notebook("nb04")

nb.md(
    r"""
    # Cuaderno 4 — Hiperparámetros de la convolución

    **Objetivos.** Al terminar este cuaderno sabrás:

    1. cuáles son los hiperparámetros de una convolución: el número $D$ de filtros, el tamaño
       $w \times h$ de cada kernel, el *padding* y el *stride*;
    2. qué forma tiene la salida con $D$ filtros y cómo la cambia el tamaño del kernel;
    3. qué son el padding (un marco de ceros alrededor de la entrada) y el stride (el salto de
       la ventana), para qué sirve cada uno y cómo se llaman los tres casos de padding más
       usados (*valid*, *same* y *full*);
    4. calcular el tamaño de la salida con la fórmula de la clase, también cuando la división
       no es exacta o la ventana no cabe, y encadenarla capa a capa en redes reales (AlexNet,
       VGG, ResNet);
    5. añadir padding y stride a tu propia convolución 2D;
    6. contar los parámetros y las multiplicaciones de una capa convolucional, y compararlos
       con los de una capa densa.

    Los ejercicios calificados están marcados con ✏️. Escribe tu código donde pone
    `# ESCRIBE AQUÍ TU CÓDIGO` (borra la línea `raise NotImplementedError()` que lo acompaña)
    y ejecuta la celda de comprobación que va justo después: te dice si vas bien y, si no, qué
    error típico parece que has cometido. Al calificar se ejecutan además comprobaciones ocultas
    con otros tamaños y casos límite.
    """,
    grade_id="nb04-md-goals",
)

nb.code(
    r'''
    # Preparación: ejecuta esta celda primero.
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.patches import Rectangle

    import cnncourse
    import cnncourse._grading as checks  # pistas de las comprobaciones (no lo modifiques)
    from cnncourse import data, plotting
    from cnncourse.arithmetic import Geometry, conv_steps_text, draw_arithmetic, draw_step
    from cnncourse.layers import Conv2D
    from cnncourse.widgets import conv_arithmetic_explorer, sweep_explorer

    np.set_printoptions(precision=3, suppress=True)
    rng = np.random.default_rng(0)
    photo = data.load_sample_image(gray=True)  # Grace Hopper, en escala de grises (H, W)
    cnncourse.load_kernels()  # espera a las funciones compiladas (un segundo)


    def draw_windows(geometries, titles, steps=None):
        """Una columna por geometría: entrada con padding y ventana (arriba), salida (abajo)."""
        steps = steps or [0] * len(geometries)
        n = len(geometries)
        fig, axes = plt.subplots(2, n, figsize=(3.1 * n, 6.2), squeeze=False)
        for col, (g, title, step) in enumerate(zip(geometries, titles, steps, strict=True)):
            draw_arithmetic(axes[0, col], axes[1, col], g, step)
            axes[0, col].set_title(f"{title}\n{axes[0, col].get_title()}", fontsize=10)
        fig.tight_layout()
        return fig
    ''',
    locked=True,
    grade_id="nb04-setup",
)

# --------------------------------------------------------------------------------------
# 1. The hyperparameters
# --------------------------------------------------------------------------------------
nb.md(
    r"""
    ## 1. Los hiperparámetros de la convolución

    Aunque la operación de convolución es siempre la misma, existen **múltiples
    hiperparámetros** que podemos ajustar. Los más relevantes:

    * número $D$ de filtros o kernels;
    * tamaño $w \times h$ de cada kernel;
    * *padding* de la convolución;
    * *stride* de la convolución.

    Recuerda la diferencia: los **parámetros** (los valores de los kernels y sus sesgos) se
    aprenden durante el entrenamiento, como viste en el cuaderno 2; los **hiperparámetros** los
    elegimos nosotros antes de entrenar, y fijan la forma de la capa: cuántos parámetros tiene
    y qué forma tiene su salida. Así se llaman en `cnncourse` y en PyTorch (`nn.Conv2d`):

    | hiperparámetro | en la clase | en `cnncourse.conv2d(x, u, padding, stride)` | en `nn.Conv2d` |
    |---|---|---|---|
    | número de filtros | $D$ | `u.shape[0]`, con `u` de forma `(D, C, h, w)` | `out_channels` |
    | tamaño del kernel | $w \times h$ | `u.shape[-2:] == (h, w)` | `kernel_size` |
    | padding | $p$ | `padding=p` | `padding` |
    | stride | $s$ | `stride=s` | `stride` |

    Como en el cuaderno 2 (tabla «Notación: el orden de las dimensiones»), la clase escribe
    **ancho × alto** y nosotros usamos el orden de NumPy, **filas primero**: una imagen
    $W \times H$ de la clase es `x.shape == (H, W)`, un kernel $w \times h$ es
    `u.shape == (h, w)`, y un volumen $D \times W_o \times H_o$ es `o.shape == (D, Ho, Wo)`.
    """,
    concepts=["H1", "H2", "H3", "H4"],
)

nb.code(
    """
    x = np.arange(36, dtype=float).reshape(1, 6, 6)  # (C, H, W): 6 x 6 con un canal
    u = np.ones((2, 1, 3, 3))  # D = 2 filtros de 1 canal, de 3 x 3
    for padding, stride in [(0, 1), (1, 1), (0, 2), (1, 2)]:
        o = cnncourse.conv2d(x, u, padding=padding, stride=stride)
        print(f"padding={padding}, stride={stride}:  x {x.shape} ⊛ u {u.shape}  ->  o {o.shape}")
    """,
    concepts=["H1", "H3", "H4"],
)

# --------------------------------------------------------------------------------------
# 2. H1: number of filters
# --------------------------------------------------------------------------------------
nb.md(
    r"""
    ## 2. Número $D$ de filtros

    En los ejemplos anteriores siempre aplicamos 1 filtro por simplificar. Normalmente este
    número de filtros $D$ suele ser mayor.

    * La idea es extraer más conocimiento de cada convolución.
    * En 2 o 3 dimensiones, con $D$ filtros, el tamaño de $\mathbf{o}$ será:
      $D \times (W-w+1) \times (H-h+1)$.

    En NumPy, `o.shape == (D, H - h + 1, W - w + 1)`: cada filtro produce **su** mapa de
    características y los $D$ mapas se apilan en un volumen. Ese volumen es la entrada de la
    capa siguiente, que lo ve como una imagen de $D$ canales: **el número de filtros de una
    capa es el número de canales $C$ de la siguiente**.

    Un banco de $D = 6$ filtros clásicos de $3 \times 3$ sobre la foto en gris ($C = 1$): el
    banco es un array `(D, C, h, w) = (6, 1, 3, 3)` y la salida, `(6, H - 2, W - 2)`.
    """,
    concepts=["H1"],
)

nb.code(
    """
    kernels = data.kernels_2d()
    names = [
        "bordes verticales",
        "bordes horizontales",
        "Sobel x",
        "Sobel y",
        "desenfoque",
        "Laplaciano",
    ]
    bank = np.stack([kernels[k] for k in names])[:, None]  # (D, C, h, w) = (6, 1, 3, 3)
    maps = cnncourse.conv2d(photo[None], bank)  # x (C, H, W) = (1, 600, 512)
    print("foto", photo.shape, "⊛ banco", bank.shape, "->", maps.shape, "= (D, H-h+1, W-w+1)")
    shown = [np.clip(m, *np.percentile(m, [1, 99])) for m in maps]  # sin valores extremos
    plotting.show_images(dict(zip(names, shown, strict=True)), ncols=3, size=2.8);
    """,
    concepts=["H1"],
)

# --------------------------------------------------------------------------------------
# 3. H2: kernel size
# --------------------------------------------------------------------------------------
nb.md(
    r"""
    ## 3. Tamaño $w \times h$ de cada kernel

    El tamaño $w \times h$ de cada filtro de la convolución es otro hiperparámetro que podemos
    alterar.

    * Suelen ser cuadrados, $w = h$.
    * Si hay más de uno, los $D$ han de tener el mismo tamaño.
    * Influyen directamente en el tamaño de la salida.

    La clase lo muestra con $w = h = 2$, $3$ y $4$ sobre la misma entrada. Aquí la entrada es de
    $5 \times 5$; la ventana naranja es la primera posición del kernel y abajo está la salida,
    con la casilla que produce esa posición en verde oscuro:
    """,
    concepts=["H2"],
)

nb.code(
    """
    sizes = [2, 3, 4]
    draw_windows([Geometry(5, k) for k in sizes], [f"w = h = {k}" for k in sizes])
    x5 = rng.integers(0, 10, size=(5, 5)).astype(float)
    for k in sizes:
        o = cnncourse.conv2d(x5, np.ones((k, k)))
        print(f"w = h = {k}:  x {x5.shape} ⊛ u {(k, k)}  ->  o {o.shape}  (5 - {k} + 1 = {6 - k})")
    """,
    concepts=["H2"],
)

nb.md(
    r"""
    Cada fila (o columna) que añadimos al kernel quita una fila (o columna) a la salida: hay una
    posición menos donde la ventana cabe entera.

    ¿Por qué los $D$ filtros de una capa han de tener el mismo tamaño? Porque se guardan juntos
    en un único array `(D, C, h, w)` y sus $D$ mapas se apilan en un volumen `(D, Ho, Wo)`: con
    tamaños distintos, ni los filtros ni sus mapas encajarían. (Las arquitecturas que quieren
    mezclar tamaños, como los bloques *inception* de GoogLeNet, usan varias capas en paralelo.)

    Un kernel más grande, además, **ve una región más grande** de la entrada. Con kernels de
    media ($\frac{1}{k^2}$ en cada casilla) de tamaño creciente, la foto se desenfoca más y la
    salida encoge $k - 1$ píxeles en cada dirección. Casi siempre se usan tamaños **impares**
    (3, 5, 7, 11): tienen un píxel central, y eso permitirá conservar el tamaño con el padding
    de la próxima sección.
    """,
    concepts=["H2"],
)

nb.code(
    """
    blurred = {f"k = {k}": cnncourse.conv2d(photo, np.full((k, k), 1 / k**2)) for k in (3, 11, 31)}
    plotting.show_images({"entrada": photo, **blurred}, size=2.8);
    """,
    concepts=["H2"],
)

# --------------------------------------------------------------------------------------
# 4. H3: padding
# --------------------------------------------------------------------------------------
nb.md(
    r"""
    ## 4. Padding

    Al aplicar una convolución, vemos que la salida es de menor tamaño que la entrada. El
    **padding** nos permite evitarlo.

    * El padding añade un «marco» de píxeles a la entrada. El grosor es un hiperparámetro.
    * El valor por defecto de estos nuevos píxeles suele ser cero (*zero padding*).

    Con un marco de grosor $p$ la entrada pasa a tener forma `(H + 2p, W + 2p)`: $p$ filas
    arriba **y** $p$ abajo, $p$ columnas a la izquierda **y** $p$ a la derecha. En NumPy, el
    marco de ceros es `np.pad(x, p)`:
    """,
    concepts=["H3"],
)

nb.code(
    r"""
    x_small = np.arange(1, 13, dtype=float).reshape(3, 4)
    print("x", x_small.shape, "\n", x_small)
    print("np.pad(x, 1)", np.pad(x_small, 1).shape, "\n", np.pad(x_small, 1))
    print("np.pad(x, 2) tiene forma", np.pad(x_small, 2).shape, "= (3 + 2·2, 4 + 2·2)")
    """,
    concepts=["H3"],
)

nb.md(
    r"""
    El mismo kernel de $3 \times 3$ sobre la entrada de $5 \times 5$ con marcos de grosor
    $p = 0, 1, 2$ (el marco, en gris discontinuo). Son los tres casos de padding con nombre
    propio que usan la guía de Dumoulin y Visin y las bibliotecas. Para un kernel **impar** de
    tamaño $k$, stride 1 y una entrada de tamaño $n$:

    | caso | padding | tamaño de la salida |
    |---|---|---|
    | sin padding (*valid*) | $p = 0$ | $n - k + 1$: encoge |
    | mitad (*half* o *same*) | $p = (k - 1)/2$ | $n$: se conserva |
    | completo (*full*) | $p = k - 1$ | $n + k - 1$: crece |

    Las bibliotecas usan esos nombres: `padding="valid"` y `padding="same"` en Keras y en
    PyTorch (en PyTorch, *same* solo con stride 1), y `mode="valid"`, `"same"` y `"full"` en
    `np.correlate` y `scipy.signal.correlate2d`; en PyTorch, el *full* se pide con el grosor,
    `padding=k - 1`.

    Con $p = 1$ la salida mide lo mismo que la entrada: es el *same padding*, con $p = 1$ para
    $3 \times 3$, $p = 2$ para $5 \times 5$ y $p = 3$ para $7 \times 7$. Con $p = 2 = k - 1$
    (*full padding*) la primera ventana solo toca una casilla de la entrada, la esquina, y la
    salida crece hasta $5 + 3 - 1 = 7$. Con un kernel par, el *same padding* necesitaría medio
    píxel por lado; algunas bibliotecas ponen un píxel más de marco en un lado que en el otro.
    """,
    concepts=["H3"],
)

nb.code(
    """
    pads = {0: "valid", 1: "same", 2: "full"}
    titles = [f"p = {p} ({case})" for p, case in pads.items()]
    draw_windows([Geometry(5, 3, padding=p) for p in pads], titles)

    # los mismos tres casos en 1D: una señal de 5 muestras y un kernel de 3, contra NumPy
    x1, u1 = np.array([3.0, 1.0, 4.0, 1.0, 5.0]), np.array([1.0, 2.0, -1.0])
    for p, case in pads.items():
        o1 = cnncourse.conv1d(x1, u1, padding=p)
        agree = np.allclose(o1, np.correlate(x1, u1, mode=case))
        print(f"p = {p}: {len(o1)} muestras; ¿igual a np.correlate(x, u, mode={case!r})? {agree}")
    """,
    concepts=["H3"],
)

nb.md(
    r"""
    ¿Por qué importa? Por dos motivos:

    1. **Las capas se apilan.** Sin padding, cada capa de $3 \times 3$ quita un píxel por cada
       borde (2 filas y 2 columnas en total); tras muchas capas no queda imagen. Con $p = 1$ el
       tamaño se conserva y decidimos nosotros cuándo reducirlo (con stride o con *pooling*).
    2. **Los bordes cuentan menos.** Sin padding y con un kernel de $3 \times 3$, un píxel de
       la esquina solo entra en una ventana y uno del centro en nueve: la red apenas «ve» los
       bordes. Con el marco, los píxeles del borde entran en más ventanas, y con el
       *full padding* ($p = k - 1 = 2$) todos entran en las nueve, como los del centro. La
       figura cuenta en cuántas ventanas entra cada píxel de una entrada de $8 \times 8$.
    """,
    concepts=["H3"],
)

nb.code(
    '''
    side = 32
    for p in (0, 1):
        n, trail = side, [side]
        for _ in range(10):
            n = n + 2 * p - 3 + 1
            trail.append(n)
        print(f"10 capas 3 x 3 con p = {p}: " + " -> ".join(map(str, trail)))


    def window_counts(size, k, p):
        """En cuántas ventanas k x k (stride 1) entra cada píxel de una entrada size x size."""
        counts = np.zeros((size + 2 * p, size + 2 * p))
        n_out = size + 2 * p - k + 1
        for j in range(n_out):
            for i in range(n_out):
                counts[j : j + k, i : i + k] += 1
        return counts[p : p + size, p : p + size]  # solo los píxeles de la entrada real


    plotting.show_images(
        {
            "p = 0 (valid): ventanas por píxel": window_counts(8, 3, 0),
            "p = 1 (same): ventanas por píxel": window_counts(8, 3, 1),
            "p = 2 (full): ventanas por píxel": window_counts(8, 3, 2),
        },
        cmap="viridis",
        vmin=0,
        vmax=9,
        colorbar=True,
        size=3.4,
    );
    ''',
    concepts=["H3"],
)

nb.md(
    r"""
    El marco de ceros no es gratis: un cero es un píxel **negro**, y el kernel lo mezcla con la
    imagen. Con un desenfoque grande y el padding que conserva el tamaño ($k = 31$, $p = 15$),
    los bordes de la salida se oscurecen, porque allí parte de cada ventana cae sobre el marco.
    Por eso algunas bibliotecas ofrecen otros rellenos (repetir el borde, reflejarlo); aquí, como
    en la clase, el relleno es siempre de ceros.
    """,
    concepts=["H3"],
)

nb.code(
    """
    box31 = np.full((31, 31), 1 / 31**2)
    same = cnncourse.conv2d(photo, box31, padding=15)
    print("entrada", photo.shape, "-> salida con p = 15:", same.shape)
    plotting.show_images({"entrada": photo, "desenfoque 31 x 31, p = 15": same}, size=3.4);
    """,
    concepts=["H3"],
)

# --------------------------------------------------------------------------------------
# 5. H4: stride
# --------------------------------------------------------------------------------------
nb.md(
    r"""
    ## 5. Stride

    En los ejemplos anteriores, siempre movemos el filtro $\mathbf{u}$ de **una en una unidad**
    sobre la entrada $\mathbf{x}$ en cada dirección, pero esto no tiene por qué ser siempre así.

    * Ese valor es lo que se conoce como **stride** (salto).
    * Al igual que el padding, influye en el tamaño de salida.

    Con stride $s$, la ventana que produce $\mathbf{o}_{j,i}$ empieza en la fila $s \cdot j$ y
    la columna $s \cdot i$; sus píxeles siguen siendo consecutivos:

    $$\mathbf{o}_{j,i} = \sum_{n=0}^{h-1} \sum_{m=0}^{w-1}
      \mathbf{x}_{s j + n,\; s i + m} \cdot \mathbf{u}_{n,m}$$

    **¿Qué sucede si cambiamos el tamaño del stride a tres?** Con una entrada de $9 \times 9$ y
    un kernel de $3 \times 3$, la ventana salta 3 casillas: las ventanas ya no se solapan y la
    salida pasa de $7 \times 7$ (stride 1) a $3 \times 3$. Numeramos los lugares por los que pasa
    la ventana, en orden, fila a fila: la **posición $t$** ($t = 0, 1, 2, \dots$) produce la
    casilla $t$ de la salida, contada también fila a fila. Las posiciones $t = 0, 1, 2$ y $3$ (la
    3 ya produce la segunda fila de la salida):
    """,
    concepts=["H4"],
)

nb.code(
    """
    g = Geometry(9, 3, stride=3)
    draw_windows([g] * 4, [f"posición t = {t}" for t in range(4)], steps=[0, 1, 2, 3])
    print("stride 1:", Geometry(9, 3).output_shape, "  stride 3:", g.output_shape)
    """,
    concepts=["H4"],
)

nb.md(
    r"""
    El stride $s$ calcula exactamente las mismas sumas que el stride 1, pero **solo una de cada
    $s$** en cada dirección: es la salida de stride 1 quedándonos con las filas y columnas
    $0, s, 2s, \dots$ Por eso hace la capa unas $s^2$ veces más barata y reduce la resolución de
    la salida. Lo comprobamos con un kernel aleatorio, y lo vemos en la foto con un desenfoque de
    $5 \times 5$. Con stride 16, mayor que el kernel, 11 de cada 16 filas y columnas no entran
    en ninguna ventana y la imagen se ve pixelada.
    """,
    concepts=["H4"],
)

nb.code(
    """
    u3 = rng.normal(size=(3, 3))
    full = cnncourse.conv2d(photo, u3)
    for s in (2, 3, 5):
        strided = cnncourse.conv2d(photo, u3, stride=s)
        print(
            f"stride {s}: forma {strided.shape}, ¿igual a la de stride 1 cada {s}? "
            f"{np.allclose(strided, full[::s, ::s])}"
        )
    box5 = np.full((5, 5), 1 / 25)
    strided = {f"stride {s}": cnncourse.conv2d(photo, box5, stride=s) for s in (1, 4, 16)}
    plotting.show_images(strided, size=2.8);
    """,
    concepts=["H4"],
)

nb.md(
    r"""
    ### Cuando la división no es exacta

    Con una entrada de $8 \times 8$, el mismo kernel de $3 \times 3$ y stride 3, la ventana cabe
    empezando en la fila 0 y en la 3 (y lo mismo en las columnas); la siguiente empezaría en la
    6 y necesitaría las filas 6, 7 y 8, pero la 8 no existe. Así que solo hay 2 posiciones por
    dirección, y las **dos últimas filas y columnas no se usan nunca** (rayadas en la figura): lo
    que haya en ellas no influye en la salida.
    """,
    concepts=["H4", "H5"],
)

nb.code(
    """
    g = Geometry(8, 3, stride=3)
    last = g.n_steps - 1
    titles = ["posición t = 0", f"posición t = {last} (la última)"]
    fig = draw_windows([g, g], titles, steps=[0, last])
    for ax in fig.axes[:2]:  # rayamos las filas y columnas que ninguna ventana toca
        for r in range(8):
            for c in range(8):
                if not (g.covered(0)[r] and g.covered(1)[c]):
                    ax.add_patch(
                        Rectangle((c, r), 1, 1, fill=False, hatch="///", edgecolor="#c0392b", lw=0)
                    )
    print(g.message_es)
    """,
    concepts=["H4", "H5"],
)

# --------------------------------------------------------------------------------------
# 6. H5: the output-size formula
# --------------------------------------------------------------------------------------
nb.md(
    r"""
    ## 6. El tamaño de la salida

    Como acabas de ver, el padding y el stride también influyen en el tamaño de la salida
    $\mathbf{o}$.

    * Si llamamos $s$ al tamaño del stride
    * y $p$ al tamaño del padding,

    el tamaño de la salida sería el siguiente:

    $$\left(\frac{W+2p-w}{s}+1\right) \times \left(\frac{H+2p-h}{s}+1\right)$$

    Cuando la división no es exacta, se **redondea hacia abajo** ($\lfloor \cdot \rfloor$): una
    ventana que no cabe entera no cuenta. En el orden de NumPy, `o.shape == (Ho, Wo)` con

    $$H_o = \left\lfloor \frac{H + 2p - h}{s} \right\rfloor + 1, \qquad
      W_o = \left\lfloor \frac{W + 2p - w}{s} \right\rfloor + 1.$$

    Se lee así: la entrada con padding mide $W + 2p$; la primera ventana ocupa $w$ casillas y
    deja $W + 2p - w$ por recorrer; caben $\lfloor (W + 2p - w)/s \rfloor$ saltos de $s$
    casillas, y el $+1$ cuenta la posición de partida. Con $p = 0$ y $s = 1$ es el $W - w + 1$ de
    los cuadernos 1 a 3. Y si $W + 2p < w$, **la ventana no cabe** ni una vez: no hay salida, y
    las bibliotecas lanzan un error. Ojo: con stride, la fórmula puede dar 0 en vez de un número
    negativo (con $W = 4$, $w = 5$, $s = 2$: $\lfloor -1/2 \rfloor + 1 = -1 + 1 = 0$), así que
    hay que comprobar $W + 2p \ge w$ directamente, no el signo del resultado.

    | caso | $W$ | $w$ | $p$ | $s$ | $(W + 2p - w)/s$ | $W_o$ |
    |---|---|---|---|---|---|---|
    | sin padding (*valid*) ni stride (cuaderno 2) | 5 | 3 | 0 | 1 | 2 | 3 |
    | *same padding* | 5 | 3 | 1 | 1 | 4 | 5 |
    | *full padding* | 5 | 3 | 2 | 1 | 6 | 7 |
    | stride 3, exacto | 9 | 3 | 0 | 3 | 2 | 3 |
    | stride 3, no exacto | 8 | 3 | 0 | 3 | 1.67 → 1 | 2 |
    | padding y stride | 7 | 3 | 1 | 2 | 3 | 4 |
    | AlexNet, primera capa | 227 | 11 | 0 | 4 | 54 | 55 |
    | la ventana no cabe | 3 | 5 | 0 | 1 | −2 | error |
    | no cabe, aunque la fórmula dé 0 | 4 | 5 | 0 | 2 | −0.5 → −1 | error |

    `Geometry` (de `cnncourse.arithmetic`) hace la cuenta con los números sustituidos y explica
    cada caso:
    """,
    concepts=["H5"],
)

nb.code(
    """
    cases = [  # (W, w, p, s), los de la tabla
        (5, 3, 0, 1),
        (5, 3, 1, 1),
        (5, 3, 2, 1),
        (9, 3, 0, 3),
        (8, 3, 0, 3),
        (7, 3, 1, 2),
        (227, 11, 0, 4),
        (3, 5, 0, 1),
        (4, 5, 0, 2),
    ]
    for W, w, p, s in cases:
        g = Geometry((W,), (w,), padding=p, stride=s, axis="columns")  # un eje: las columnas
        print(g.formula_es())
        print("   ", g.message_es)
    """,
    concepts=["H5"],
)

nb.md(
    r"""
    ### Explora: la aritmética de la convolución

    Este explorador reúne lo que has visto hasta aquí, al estilo de la guía de Dumoulin y Visin:
    elige el tamaño de la entrada ($H$, $W$) y del kernel ($h$, $w$), el padding y el stride, y
    lleva la ventana de una posición a la siguiente con el deslizador «posición t»; debajo
    aparecen la fórmula con los números sustituidos y una explicación. Prueba:

    * stride 3 con una entrada de $9 \times 9$ y otra de $8 \times 8$ y un kernel de $3 \times 3$:
      ¿qué filas y columnas se quedan sin usar?
    * un kernel más grande que la entrada: ¿con qué padding empieza a caber?
    * los tres casos de padding con un kernel de $3 \times 3$ y stride 1: $p = 0$ (*valid*),
      $p = 1$ (*same*) y $p = 2$ (*full*);
    * una entrada no cuadrada y un kernel no cuadrado, para ver qué cambia en cada eje.

    El deslizador de **dilatación** es un extra que no está en la clase (ni en los ejercicios):
    el kernel toma los píxeles de la entrada de $d$ en $d$, de modo que un kernel de
    $3 \times 3$ con $d = 2$ abarca $5 \times 5$ con solo 9 pesos. (El explorador necesita un
    núcleo de Jupyter en ejecución; si el cuaderno se ejecuta sin interfaz, no se muestra.)
    """,
    concepts=["H2", "H3", "H4", "H5"],
    locked=False,
)

nb.code(
    """
    conv_arithmetic_explorer(in_size=(9, 9), kernel_size=3, padding=0, stride=3)
    """
)

nb.md(
    r"""
    ✏️ **Ejercicio 1 (2 puntos).** Escribe `conv_output_size(n, k, padding=0, stride=1)`: el
    tamaño de la salida a lo largo de un eje (sirve para el ancho, con $n = W$ y $k = w$, y para
    el alto, con $n = H$ y $k = h$). Devuelve un `int`. Si la ventana no cabe en la entrada con
    padding ($n + 2p < k$), lanza un `ValueError` con un mensaje en castellano que lo explique.

    Pista: en Python, `a // b` es la división entera redondeando hacia abajo,
    $\lfloor a/b \rfloor$, y da un `int` si `a` y `b` lo son; `a / b` da siempre un `float`.

    Reglas (las verifican la celda de comprobación y también las comprobaciones ocultas):

    * devuelve un `int` (no un `float` como `3.0`, ni un booleano);
    * lanza `ValueError` solo cuando la ventana no cabe; si cabe justa ($n + 2p = k$), la
      salida mide 1;
    * los argumentos se llaman `padding` y `stride` y valen 0 y 1 por defecto: se comprueba
      con `conv_output_size(n, k)` y con `conv_output_size(n, k, padding=p, stride=s)`;
    * calcula el tamaño con la fórmula: no uses `cnncourse.conv2d`, `cnncourse.output_size`
      (ni la de `cnncourse.reference`) ni nada de `cnncourse.arithmetic` (`Geometry`...).
    """,
    concepts=["H5"],
)

nb.solution(
    '''
    def conv_output_size(n, k, padding=0, stride=1):
        """Tamaño de la salida a lo largo de un eje: ⌊(n + 2*padding - k) / stride⌋ + 1."""
        ### BEGIN SOLUTION
        if n + 2 * padding < k:
            raise ValueError(
                f"La ventana ({k}) no cabe en la entrada con padding "
                f"({n} + 2·{padding} = {n + 2 * padding}): aumenta el padding o reduce el kernel."
            )
        return (n + 2 * padding - k) // stride + 1
        ### END SOLUTION
    ''',
    grade_id="conv_output_size",
    concepts=["H5"],
)

nb.tests(
    '''
    """Comprueba conv_output_size: divisiones exactas o no, padding y ventanas que no caben."""
    table = [  # (n, k, padding, stride, esperado)
        (8, 2, 0, 1, 7),  # el voltaje del cuaderno 1: W - w + 1
        (7, 3, 2, 1, 9),  # un marco de grosor 2: la salida crece
        (9, 3, 0, 3, 3),  # stride 3, exacto
        (8, 3, 0, 3, 2),  # stride 3, no exacto: (8 - 3)/3 = 1.67 -> 1
        (227, 11, 0, 4, 55),  # AlexNet, primera capa
        (3, 5, 1, 1, 1),  # la ventana cabe justa: n + 2p = k
    ]
    with checks.exercise(globals(), "conv_output_size"):
        for n, k, p, s, expected in table:
            # las reglas del enunciado: un int, sin funciones de tamaño de la biblioteca...
            got = checks.call_conv_output_size(conv_output_size, n, k, p, s, globals())
            hint = checks.explain_output_size(got, n, k, p, s)
            call = f"conv_output_size({n}, {k}, padding={p}, stride={s})"
            assert got == expected, f"{call} debe ser {expected}; recibido {got}. {hint}"
        got = checks.call_conv_output_size(conv_output_size, 6, 3, namespace=globals())
        assert got == 4, (
            f"conv_output_size(6, 3) debe ser 4; recibido {got}. Sin padding ni stride (por "
            "defecto, padding=0 y stride=1) la salida mide n - k + 1."
        )
        for n, k, p, s in [(3, 5, 0, 1), (4, 5, 0, 2), (2, 7, 2, 1)]:
            message = checks.output_size_must_raise(conv_output_size, n, k, p, s, globals())
            print(f"Bien: conv_output_size({n}, {k}, padding={p}, stride={s}) lanza ValueError:")
            print("   ", message)
    ### BEGIN HIDDEN TESTS
    import cnncourse._grading as _grading

    _grading.trusted(globals()).hidden_output_size(conv_output_size, globals())
    ### END HIDDEN TESTS
    ''',
    grade_id="test_conv_output_size",
    points=2,
)

nb.md(
    r"""
    ### Capa a capa: las formas de una red real

    En una CNN las convoluciones se encadenan: la salida de una capa, de forma `(D, Ho, Wo)`, es
    la entrada de la siguiente, que la ve como una imagen de $C = D$ canales y $H_o \times W_o$
    píxeles. Los tamaños se calculan eje a eje con tu `conv_output_size`; el número de canales
    de cada salida es el número de filtros de su capa.

    ✏️ **Ejercicio 2 (2 puntos).** Escribe `output_shapes(input_shape, layers)`: `input_shape`
    es `(C, H, W)` y `layers` una lista de diccionarios
    `{"filters": D, "kernel_size": k, "padding": p, "stride": s}` (kernels cuadrados,
    $k \times k$) que se aplican en ese orden. Devuelve una **lista** con la forma de la salida
    de cada capa, una **tupla** `(D, Ho, Wo)` de enteros por capa. Usa tu `conv_output_size`: si
    una capa no cabe, deja que lance su `ValueError`.

    Reglas (las verifican la celda de comprobación y también las comprobaciones ocultas):
    devuelve una `list` de `tuple` de `int` (no listas dentro, ni floats como `8.0`); sin capas,
    la lista vacía; no modifiques `layers` ni sus diccionarios; y, como en el ejercicio 1, no uses
    `cnncourse.conv2d`, `cnncourse.output_size` ni nada de `cnncourse.arithmetic` (tampoco
    dentro de tu `conv_output_size`).
    """,
    concepts=["H1", "H5"],
)

nb.solution(
    '''
    def output_shapes(input_shape, layers):
        """Forma (D, Ho, Wo) de la salida de cada capa convolucional de ``layers``, en orden."""
        ### BEGIN SOLUTION
        C, H, W = input_shape
        shapes = []
        for layer in layers:
            k, p, s = layer["kernel_size"], layer["padding"], layer["stride"]
            H = conv_output_size(H, k, padding=p, stride=s)
            W = conv_output_size(W, k, padding=p, stride=s)
            C = layer["filters"]
            shapes.append((C, H, W))
        return shapes
        ### END SOLUTION
    ''',
    grade_id="output_shapes",
    concepts=["H1", "H5"],
)

nb.tests(
    r'''
    """Comprueba output_shapes con una entrada no cuadrada y tres capas encadenadas."""
    layers = [
        {"filters": 8, "kernel_size": 3, "padding": 1, "stride": 1},
        {"filters": 16, "kernel_size": 5, "padding": 0, "stride": 2},
        {"filters": 4, "kernel_size": 3, "padding": 0, "stride": 3},
    ]
    with checks.exercise(globals(), "output_shapes", needs=("conv_output_size",)):
        # las reglas del enunciado: una lista de tuplas de int, layers sin modificar...
        got = checks.call_output_shapes(output_shapes, (3, 20, 30), layers, globals())
        expected = [(8, 20, 30), (16, 8, 13), (4, 2, 4)]
        hint = checks.explain_output_shapes(got, (3, 20, 30), layers)
        assert len(got) == 3, (
            f"Con 3 capas se esperan 3 formas; recibidas {len(got)}: {got}. {hint}"
        )
        assert got == expected, (
            f"{hint} Para una entrada (3, 20, 30) se esperaba {expected}; recibido {got}.".strip()
        )
        got = checks.call_output_shapes(output_shapes, (1, 28, 28), [], globals())
        assert got == [], f"Sin capas, output_shapes debe devolver una lista vacía; recibido {got}."
        lenet_like = [{"filters": 6, "kernel_size": 5, "padding": 0, "stride": 1}] * 7
        try:
            output_shapes((1, 28, 28), lenet_like)
        except ValueError as err:
            print("Bien: output_shapes((1, 28, 28), 7 capas de 5 x 5) lanza ValueError:")
            print("   ", err)
        else:
            raise AssertionError(
                "Siete capas de 5 x 5 sin padding no caben en 28 x 28 (28 -> 24 -> 20 -> 16 -> 12 "
                "-> 8 -> 4, y la séptima ya no cabe): output_shapes debe dejar pasar el ValueError "
                "de conv_output_size."
            )
    ### BEGIN HIDDEN TESTS
    import cnncourse._grading as _grading

    _grading.trusted(globals()).hidden_output_shapes(output_shapes, globals())
    ### END HIDDEN TESTS
    ''',
    grade_id="test_output_shapes",
    points=2,
)

nb.md(
    r"""
    Con tu función calculamos las formas de las primeras capas de tres redes famosas (las
    veremos en el cuaderno de arquitecturas). AlexNet recibe imágenes de
    $3 \times 227 \times 227$ y reduce muy deprisa con un kernel de $11 \times 11$ y stride 4;
    VGG usa kernels de $3 \times 3$ con $p = 1$, que **conservan** el tamaño; ResNet empieza con
    un $7 \times 7$, $p = 3$ y stride 2, que lo divide justo por la mitad. La última red es una
    pequeña cadena sobre la foto; comprobamos sus formas ejecutándola de verdad con
    `cnncourse.conv2d` y filtros aleatorios.

    ¿Por qué 227? El artículo de AlexNet dice que la entrada es de $224 \times 224$, y su
    figura 2 muestra una primera capa de $55 \times 55$, pero con 224 salen 54:
    $\lfloor (224 - 11)/4 \rfloor + 1 = \lfloor 53.25 \rfloor + 1 = 54$. Con el redondeo hacia
    abajo, todas las entradas de 227 a 230 dan 55; 227 es la más pequeña que da 55 y la única de
    ellas con la que la división es exacta, $(227 - 11)/4 = 54$: no sobra ninguna fila ni
    columna. (La AlexNet de torchvision usa 224 con $p = 2$:
    $\lfloor (224 + 4 - 11)/4 \rfloor + 1 = 55$.)
    """,
    concepts=["H1", "H5"],
)

nb.code(
    '''
    def conv(filters, kernel_size, padding=0, stride=1):
        """Una capa (un diccionario) para output_shapes."""
        return dict(filters=filters, kernel_size=kernel_size, padding=padding, stride=stride)


    networks = {
        "AlexNet, conv1": ((3, 227, 227), [conv(96, 11, stride=4)]),
        "VGG-16, bloque 1": ((3, 224, 224), [conv(64, 3, padding=1), conv(64, 3, padding=1)]),
        "ResNet, primera capa": ((3, 224, 224), [conv(64, 7, padding=3, stride=2)]),
        "la foto, tres capas": (
            (1, *photo.shape),
            [conv(8, 5, 2, 2), conv(16, 3, 1, 2), conv(32, 3, 1, 2)],
        ),
    }
    print("AlexNet, primera capa (k = 11, s = 4), según el lado n de la entrada:")
    for n in range(224, 232):
        exact = "exacta" if (n - 11) % 4 == 0 else "no exacta"
        print(f"    n = {n}: Ho = {conv_output_size(n, 11, stride=4)}  (división {exact})")

    for name, (shape, layers) in networks.items():
        print(f"{name}: entrada {shape}")
        for layer, out in zip(layers, output_shapes(shape, layers), strict=True):
            k = layer["kernel_size"]
            print(
                f"    D = {layer['filters']:>2}, {k:>2} x {k:<2} p = {layer['padding']}, "
                f"s = {layer['stride']}  ->  {out}"
            )

    shape, layers = networks["la foto, tres capas"]
    volume = photo[None].astype(float)
    for layer, expected in zip(layers, output_shapes(shape, layers), strict=True):
        k = layer["kernel_size"]
        filters = rng.normal(size=(layer["filters"], volume.shape[0], k, k))
        volume = cnncourse.conv2d(volume, filters, padding=layer["padding"], stride=layer["stride"])
        assert volume.shape == expected, (volume.shape, expected)
    print("cnncourse.conv2d da las mismas formas; la última:", volume.shape)
    ''',
    concepts=["H1", "H5"],
)

# --------------------------------------------------------------------------------------
# 7. Padding and stride in the student's conv2d
# --------------------------------------------------------------------------------------
nb.md(
    r"""
    ## 7. Padding y stride en tu propia convolución

    Llamemos $\tilde{\mathbf{x}}$ a la entrada con el marco de ceros, de forma
    `(H + 2p, W + 2p)`. La convolución con padding $p$ y stride $s$ es

    $$\mathbf{o}_{j,i} = \sum_{n=0}^{h-1} \sum_{m=0}^{w-1}
      \tilde{\mathbf{x}}_{s j + n,\; s i + m} \cdot \mathbf{u}_{n,m},
      \qquad 0 \le j < H_o,\; 0 \le i < W_o,$$

    con $H_o$ y $W_o$ de la fórmula de la sección 6. Las funciones no pasan de un cuaderno a
    otro, así que aquí tienes de nuevo `conv2d_loops`, la convolución con bucles del cuaderno 2
    (sin padding y con stride 1), tal como era su solución. Respecto a ella cambian dos cosas: se
    recorre $\tilde{\mathbf{x}}$ en vez de $\mathbf{x}$, y la ventana de $\mathbf{o}_{j,i}$
    empieza en $(s j, s i)$ en vez de en $(j, i)$; con ellas cambia también el tamaño de la
    salida, $H_o \times W_o$ en vez de $(H - h + 1) \times (W - w + 1)$. El stride multiplica
    solo el **origen** de la ventana: dentro de ella, $n$ y $m$ avanzan de uno en uno.
    """,
    concepts=["H3", "H4"],
)

nb.code(
    '''
    # La solución del ejercicio de conv2d_loops del cuaderno 2 (sin padding, stride 1).
    def conv2d_loops(x, u):
        """La solución del cuaderno 2: o[j, i] = sum_n sum_m x[n + j, m + i] * u[n, m]."""
        H, W = x.shape
        h, w = u.shape
        o = np.zeros((H - h + 1, W - w + 1))
        for j in range(H - h + 1):
            for i in range(W - w + 1):
                o[j, i] = np.sum(x[j : j + h, i : i + w] * u)
        return o


    x_check = np.arange(35.0).reshape(5, 7) % 6
    u_check = np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]])
    agree = np.allclose(conv2d_loops(x_check, u_check), cnncourse.conv2d(x_check, u_check))
    print("conv2d_loops coincide con cnncourse.conv2d (sin padding ni stride):", agree)
    ''',
    concepts=["C3"],
    locked=True,
    grade_id="nb04-conv2d-loops",
)

nb.md(
    r"""
    Un ejemplo a mano: entrada de $4 \times 5$ (4 filas y 5 columnas), kernel de $2 \times 2$,
    $p = 1$ y $s = 2$. La entrada con padding mide $6 \times 7$ y la salida
    $(\lfloor 4/2 \rfloor + 1) \times (\lfloor 5/2 \rfloor + 1) = 3 \times 3$:
    """,
    concepts=["H3", "H4"],
    grade_id="nb04-md-hand-example",
)

nb.code(
    r"""
    x_hand = np.array(
        [[1, 2, 0, 3, 1], [4, 1, 2, 0, 2], [0, 3, 1, 1, 0], [2, 0, 4, 2, 1]], dtype=float
    )
    u_hand = np.array([[1, -1], [2, 0]], dtype=float)
    print(conv_steps_text(x_hand, u_hand, padding=1, stride=2))
    print(
        "cnncourse.conv2d(x, u, padding=1, stride=2):\n",
        cnncourse.conv2d(x_hand, u_hand, padding=1, stride=2),
    )
    fig, axes = plt.subplots(1, 3, figsize=(6.5, 2.8), gridspec_kw={"width_ratios": [7, 2.5, 3]})
    step = draw_step(*axes, x_hand, u_hand, step=4, padding=1, stride=2)
    print(f"posición t = 4: {step.text}; empieza en {step.origin} = 2·(1, 1) de x con padding")
    """,
    concepts=["H3", "H4"],
)

nb.md(
    r"""
    Recorre las nueve posiciones con el deslizador: la ventana salta de 2 en 2 sobre la entrada
    con padding (los ceros del marco, en gris). (El explorador necesita un núcleo de Jupyter en
    ejecución; si el cuaderno se ejecuta sin interfaz, no se muestra.)
    """,
    concepts=["H3", "H4"],
    locked=False,
)

nb.code(
    """
    sweep_explorer(x_hand, u_hand, padding=1, stride=2)
    """
)

nb.md(
    r"""
    ✏️ **Ejercicio 3 (3 puntos).** Escribe `conv2d_pad_stride(x, u, padding=0, stride=1)` para
    una imagen en gris `x` de forma `(H, W)` y un kernel `u` de forma `(h, w)`; `padding` y
    `stride` son enteros (el mismo valor en filas y columnas). Devuelve un `np.ndarray` nuevo
    de tipo `float` y de forma `(Ho, Wo)`. Puedes partir de `conv2d_loops` (la del cuaderno 2, que
    tienes más arriba), usar `np.pad` para el marco y tu `conv_output_size` para el tamaño de la
    salida.

    Reglas (las verifican la celda de comprobación y también las comprobaciones ocultas):

    * escribe tú la operación, con bucles (o con NumPy elemento a elemento): no uses
      `cnncourse.conv2d` ni `cnncourse.conv1d` (ni las de `cnncourse.reference`),
      `np.convolve`, `np.correlate` ni `scipy` (`scipy.signal`, `scipy.ndimage`), tampoco
      dentro de otra función que llames;
    * no modifiques `x` ni `u`: escribe el resultado en un array nuevo;
    * devuelve un `np.ndarray` de tipo `float` (no una lista) de forma `(Ho, Wo)`;
    * respeta el orden de los argumentos y sus valores por defecto: se comprueba con
      `conv2d_pad_stride(x, u)` y con `conv2d_pad_stride(x, u, p, s)`.
    """,
    concepts=["H3", "H4"],
)

nb.solution(
    '''
    def conv2d_pad_stride(x, u, padding=0, stride=1):
        """Convolución de x (H, W) con el kernel u (h, w), con padding de ceros y stride.

        o[j, i] = sum_n sum_m xp[s*j + n, s*i + m] * u[n, m], con xp = np.pad(x, padding).
        """
        ### BEGIN SOLUTION
        xp = np.pad(np.asarray(x, dtype=float), padding)
        h, w = u.shape
        Ho = conv_output_size(x.shape[0], h, padding, stride)
        Wo = conv_output_size(x.shape[1], w, padding, stride)
        o = np.zeros((Ho, Wo))
        for j in range(Ho):
            for i in range(Wo):
                o[j, i] = np.sum(xp[stride * j : stride * j + h, stride * i : stride * i + w] * u)
        return o
        ### END SOLUTION
    ''',
    grade_id="conv2d_pad_stride",
    concepts=["H3", "H4"],
)

nb.tests(
    r'''
    """Comprueba conv2d_pad_stride en una entrada 5 x 7 y un kernel 2 x 3 con varios p y s."""
    x = np.array(
        [
            [3, 1, 4, 1, 5, 9, 2],
            [6, 5, 3, 5, 8, 9, 7],
            [9, 3, 2, 3, 8, 4, 6],
            [2, 6, 4, 3, 3, 8, 3],
            [2, 7, 9, 5, 0, 2, 8],
        ],
        dtype=float,
    )
    u = np.array([[1, 0, -1], [2, 1, 0]], dtype=float)  # ni simétrico ni cuadrado
    name = "conv2d_pad_stride"
    with checks.exercise(globals(), name, needs=("conv_output_size",)):
        checks.check_pad_stride_signature(conv2d_pad_stride)  # el orden (x, u, padding, stride)
        for p, s in [(0, 1), (1, 1), (2, 1), (0, 2), (1, 2), (2, 3)]:
            call = f"conv2d_pad_stride(x, u, {p}, {s}) con x de forma {x.shape} y u {u.shape}"
            try:
                # las reglas del enunciado: sin convoluciones de la biblioteca, x y u intactos,
                # un np.ndarray de tipo float
                o = checks.check_rules(conv2d_pad_stride, (x, u, p, s), name, globals())
            except (IndexError, ValueError) as err:
                hint = checks.explain_pad_stride_error(x, u, p, s)
                error = f"{call} falla con {type(err).__name__}: {err}"
                raise AssertionError(f"{error}\n{hint}") from err
            expected = cnncourse.conv2d(x, u, padding=p, stride=s)
            hint = checks.explain_pad_stride(o, x, u, p, s)
            assert o.shape == expected.shape, f"{call}: {hint}"
            checks.assert_close(o, expected, hint=hint, context=f"{call}:")
        o = checks.check_rules(conv2d_pad_stride, (x, u), name, globals())
        checks.assert_close(
            o,
            cnncourse.conv2d(x, u),
            hint="Sin padding ni stride (por defecto, padding=0 y stride=1), "
            "conv2d_pad_stride(x, u) debe dar la convolución del cuaderno 2, conv2d_loops(x, u).",
            context=f"conv2d_pad_stride(x, u) con x de forma {x.shape} y u {u.shape}:",
        )
    print("¡Bien! conv2d_pad_stride coincide con cnncourse.conv2d con padding y stride.")
    ### BEGIN HIDDEN TESTS
    import cnncourse._grading as _grading

    _grading.trusted(globals()).hidden_pad_stride(conv2d_pad_stride, globals())
    ### END HIDDEN TESTS
    ''',
    grade_id="test_conv2d_pad_stride",
    points=3,
)

nb.md(
    r"""
    Tu función sobre un recorte de la foto, con el detector de bordes verticales de Sobel: con
    $p = 1$ y $s = 1$ conserva el tamaño; con $s = 2$ lo divide por dos en cada dirección. Con
    $s = 4$, por cuatro: la ventana de $3 \times 3$ se salta una de cada cuatro filas y
    columnas, y los bordes finos se pierden. Con $p = 1$, la línea clara del borde izquierdo y
    la oscura del derecho son el salto entre la imagen y el marco de ceros, que el detector toma
    por un borde vertical.
    """,
    concepts=["H3", "H4"],
)

nb.code(
    """
    crop = photo[160:260, 150:250].astype(float)
    sobel_x = kernels["Sobel x"]
    results = {}
    for p, s in [(0, 1), (1, 1), (1, 2), (1, 4)]:
        mine = conv2d_pad_stride(crop, sobel_x, p, s)
        diff = np.max(np.abs(mine - cnncourse.conv2d(crop, sobel_x, padding=p, stride=s)))
        print(
            f"p = {p}, s = {s}: {crop.shape} -> {mine.shape}, "
            f"diferencia con cnncourse.conv2d: {diff}"
        )
        results[f"p = {p}, s = {s}"] = mine
    plotting.show_images({"recorte": crop, **results}, size=2.4);
    """,
    concepts=["H3", "H4"],
)

# --------------------------------------------------------------------------------------
# 8. Parameters of a convolutional layer (back to I4)
# --------------------------------------------------------------------------------------
nb.md(
    r"""
    ## 8. Parámetros y multiplicaciones de una capa convolucional

    Los hiperparámetros deciden también cuántos parámetros aprende la capa. Ya los contaste en
    el cuaderno 3 con `filter_bank_params`: cada filtro tiene un peso por canal de entrada y por
    casilla del kernel, $C \times h \times w$, más **un sesgo** $b$ que se suma a todo su mapa.
    Con $D$ filtros:

    $$\text{parámetros} = D \times (C \times h \times w + 1)$$

    (en el orden de la clase, $D \times (C \times w \times h + 1)$: es el mismo número). Fíjate
    en lo que **no** aparece: ni el padding ni el stride (solo cambian la forma de la salida) ni
    el tamaño $H \times W$ de la entrada, porque los mismos pesos se usan en todas las
    posiciones de la ventana (la **compartición de pesos**).

    Los parámetros dicen cuánto **ocupa** la capa; lo que **cuesta** aplicarla se mide en
    multiplicaciones (*MACs*, de *multiply-accumulate*: una multiplicación y una suma). Cada
    valor de la salida es una suma de $C \times h \times w$ productos, y la salida tiene
    $D \times H_o \times W_o$ valores:

    $$\text{multiplicaciones} = D \cdot H_o \cdot W_o \cdot C \cdot h \cdot w
      = (\text{parámetros} - D) \times H_o \times W_o$$

    por imagen: cada peso (los parámetros sin los $D$ sesgos) se usa una vez en cada posición
    de la ventana, y las sumas de los sesgos no se cuentan. Aquí sí cuentan el tamaño de la
    entrada, el padding y el stride, a través de $H_o$ y $W_o$. La primera capa de AlexNet, con
    solo 34 944 parámetros, hace $96 \cdot 55 \cdot 55 \cdot 3 \cdot 11 \cdot 11 =$ 105 415 200
    multiplicaciones por imagen.

    ✏️ **Ejercicio 4 (1 punto).** Escribe
    `conv_layer_params(in_channels, out_channels, kernel_size)`: la cuenta del cuaderno 3 con
    los argumentos de `nn.Conv2d`, el número de parámetros (pesos **y** sesgos) de una capa
    convolucional con `in_channels` $= C$ canales de entrada y `out_channels` $= D$ filtros.
    Como en `nn.Conv2d`, `kernel_size` es un `int` ($k \times k$) o una tupla `(h, w)`.
    Devuelve un `int` (no un `float` como `1792.0`, ni un booleano): es una regla del
    enunciado, y la verifican la celda de comprobación y también las comprobaciones ocultas.
    """,
    concepts=["H1", "H2", "C6"],
)

nb.solution(
    '''
    def conv_layer_params(in_channels, out_channels, kernel_size):
        """Pesos y sesgos de una capa convolucional: D * (C * h * w + 1)."""
        ### BEGIN SOLUTION
        if isinstance(kernel_size, (tuple, list)):
            h, w = kernel_size
        else:
            h = w = kernel_size
        return out_channels * (in_channels * h * w + 1)
        ### END SOLUTION
    ''',
    grade_id="conv_layer_params",
    concepts=["H1", "H2"],
)

nb.tests(
    '''
    """Comprueba conv_layer_params (AlexNet, VGG, kernels (h, w)) y las multiplicaciones."""
    table = [  # (C, D, kernel_size, esperado)
        (3, 96, 11, 96 * (3 * 11 * 11 + 1)),  # AlexNet, primera capa: 34 944
        (3, 64, 3, 64 * (3 * 3 * 3 + 1)),  # VGG, primera capa: 1 792
        (2, 4, (1, 3), 4 * (2 * 1 * 3 + 1)),  # kernel de 1 x 3
        (16, 8, (5, 2), 8 * (16 * 5 * 2 + 1)),  # kernel de 5 x 2
    ]
    with checks.exercise(globals(), "conv_layer_params"):
        for C, D, k, expected in table:
            call = f"conv_layer_params({C}, {D}, {k!r})"
            try:
                n = conv_layer_params(C, D, k)
            except TypeError as err:
                raise AssertionError(
                    f"{call} falla con TypeError: {err}. kernel_size puede ser un int "
                    "(kernel k x k) o una tupla (h, w)."
                ) from err
            checks.check_layer_params_result(n, C, D, k)  # la regla: un int
            hint = checks.explain_layer_params(n, C, D, k)
            assert n == expected, f"{call} debe ser {expected}; recibido {n}. {hint}"
        # las multiplicaciones: cada peso (sin los D sesgos), una vez por valor de la salida
        macs = (conv_layer_params(3, 96, 11) - 96) * 55 * 55  # AlexNet: Ho = Wo = 55
        assert macs == 96 * 55 * 55 * 3 * 11 * 11, (
            f"(conv_layer_params(3, 96, 11) - 96) · 55 · 55 = {macs}; debe ser "
            "D·Ho·Wo·C·h·w = 96·55·55·3·11·11 = 105 415 200 multiplicaciones."
        )
    n = f"{conv_layer_params(3, 64, 3):_}".replace("_", " ")  # 1 792
    macs = f"{(conv_layer_params(3, 64, 3) - 64) * 224 * 224:_}".replace("_", " ")
    print(f"¡Bien! 64 filtros de 3 x 3 sobre 3 canales: {n} parámetros.")
    print(f"Sobre una imagen de 224 x 224 con p = 1 (Ho = Wo = 224): {macs} multiplicaciones.")
    ### BEGIN HIDDEN TESTS
    import cnncourse._grading as _grading

    _grading.trusted(globals()).hidden_layer_params(conv_layer_params, globals())
    ### END HIDDEN TESTS
    ''',
    grade_id="test_conv_layer_params",
    points=1,
)

nb.md(
    r"""
    ### Convolucional contra densa

    Volvamos al cuaderno 1 (ejercicio 1): una capa densa sobre la imagen aplanada necesita un
    peso por píxel **y por canal** para cada neurona, más un sesgo por neurona,
    $H \cdot W \cdot C \cdot \text{unidades} + \text{unidades}$, y hace una multiplicación por
    peso. Comparamos, sobre una imagen en color de $224 \times 224$ (la entrada de VGG), 64
    filtros de $3 \times 3$ con $p = 1$ con una capa densa de 64 neuronas: las dos producen 64
    «detectores», pero la densa necesita miles de veces más parámetros, y además crece con la
    imagen, mientras que la convolucional no cambia. En multiplicaciones es al revés: la
    convolucional hace $h \cdot w = 9$ veces más, porque cada uno de sus pocos pesos trabaja en
    las $224 \cdot 224 =$ 50 176 posiciones de la ventana, mientras que cada peso de la densa
    se usa una sola vez.

    Contamos también, con pesos y sesgos, los parámetros y las multiplicaciones de las capas de
    la sección 6, y los comparamos con los que cuenta la capa `Conv2D` de la biblioteca
    (`count_params` y `macs`, que usaremos en el cuaderno de arquitecturas). La ResNet real no
    usa sesgo en su primera capa, porque le sigue una normalización por lotes (BatchNorm):
    tiene $64 \times 3 \times 7 \times 7 =$ 9 408 parámetros.
    """,
    concepts=["I4", "H1", "H2"],
)

nb.code(
    r'''
    def dense_layer_params(input_shape, units):
        """Pesos y sesgos de una capa densa sobre la entrada (C, H, W) aplanada."""
        C, H, W = input_shape
        return H * W * C * units + units


    def thousands(n):
        """10001000 -> '10 001 000' (miles separados por un espacio)."""
        return f"{n:_}".replace("_", " ")


    conv_n = conv_layer_params(3, 64, 3)
    conv_macs = (conv_n - 64) * 224 * 224  # p = 1: Ho = Wo = 224
    dense_n = dense_layer_params((3, 224, 224), 64)
    dense_macs = dense_n - 64  # una multiplicación por peso
    print(f"{'sobre 3 x 224 x 224':<30}{'parámetros':>14}{'multiplicaciones':>18}")
    print(f"{'64 filtros 3 x 3, p = 1':<30}{thousands(conv_n):>14}{thousands(conv_macs):>18}")
    print(f"{'densa de 64 neuronas':<30}{thousands(dense_n):>14}{thousands(dense_macs):>18}")
    print(
        f"la densa tiene {thousands(round(dense_n / conv_n))} veces más parámetros; "
        f"la convolucional hace {conv_macs // dense_macs} veces más multiplicaciones"
    )

    print("\nparámetros (pesos y sesgos) y multiplicaciones por capa, para una imagen:")
    for name, (shape, layers) in networks.items():
        label = f"{name} (con sesgo)" if name.startswith("ResNet") else name
        print(f"    {label}:")
        C, H, W = shape
        for layer, (D, Ho, Wo) in zip(layers, output_shapes(shape, layers), strict=True):
            k, p, s = layer["kernel_size"], layer["padding"], layer["stride"]
            params = conv_layer_params(C, D, k)
            macs = D * Ho * Wo * C * k * k
            library = Conv2D(C, D, k, stride=s, padding=p)  # la capa de la biblioteca
            assert (params, macs) == (library.count_params(), library.macs((C, H, W)))
            counts = f"{thousands(params):>7} parámetros, {thousands(macs):>13} multiplicaciones"
            print(f"        {counts}")
            C, H, W = D, Ho, Wo  # la salida de esta capa es la entrada de la siguiente
    print("(las mismas cuentas que Conv2D.count_params y Conv2D.macs de cnncourse.layers)")

    sides = np.array([28, 64, 128, 224, 512, 1024])
    fig, ax = plt.subplots(figsize=(6, 3.2))
    dense_counts = [dense_layer_params((3, n, n), 64) for n in sides]
    ax.plot(sides, dense_counts, "o-", label="densa, 64 neuronas")
    ax.plot(sides, [conv_n] * len(sides), "s-", label="convolucional, 64 filtros 3 x 3")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(sides, [thousands(n) for n in sides])
    ax.set_xlabel("lado de la imagen en color (píxeles)")
    ax.set_ylabel("parámetros")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout();
    ''',
    concepts=["I4", "H1", "H2"],
)

nb.md(
    r"""
    ## Resumen

    * Los hiperparámetros de una convolución (el número $D$ de filtros, el tamaño $w \times h$
      del kernel, el padding $p$ y el stride $s$) los elegimos nosotros; los parámetros (pesos y
      sesgos) se aprenden.
    * Con $D$ filtros la salida es un volumen $D \times (W-w+1) \times (H-h+1)$, en NumPy
      `(D, H - h + 1, W - w + 1)`; los $D$ filtros de una capa tienen el mismo tamaño, y $D$ es el
      número de canales de la capa siguiente.
    * Un kernel más grande ve una región mayor y reduce más la salida; suelen ser cuadrados e
      impares.
    * El padding añade un marco de ceros de grosor $p$ por **cada** lado. Con stride 1 y un
      kernel impar de tamaño $k$: sin padding (*valid*, $p = 0$) la salida encoge;
      con $p = (k-1)/2$ (*same*) conserva el tamaño, y con $p = k - 1$ (*full*) crece hasta
      $n + k - 1$.
    * El stride $s$ hace saltar la ventana $s$ casillas: es la salida de stride 1 quedándonos con
      una de cada $s$ filas y columnas.
    * Tamaño de la salida: $H_o = \lfloor (H + 2p - h)/s \rfloor + 1$ y
      $W_o = \lfloor (W + 2p - w)/s \rfloor + 1$; si la división no es exacta, las últimas filas
      o columnas no se usan, y si $W + 2p < w$ la ventana no cabe.
    * Una capa convolucional tiene $D \times (C \times h \times w + 1)$ parámetros, sin importar
      el tamaño de la imagen; una capa densa sobre la misma imagen, miles de veces más. Su
      coste, $D \cdot H_o \cdot W_o \cdot C \cdot h \cdot w$ multiplicaciones por imagen, sí
      depende del tamaño de la entrada, del padding y del stride.

    **Siguiente:** el *pooling*, que reduce el volumen sin parámetros.

    **Para saber más:** Dumoulin y Visin, *A guide to convolution arithmetic for deep
    learning*; *Dive into Deep Learning*, secciones «Padding and Stride» y «Multiple Input and
    Multiple Output Channels». Ojo con la notación de d2l: su $p_h$ es el padding **total**
    (filas de arriba más filas de abajo, nuestro $2p$), y su fórmula
    $\lfloor (n_h - k_h + p_h + s_h)/s_h \rfloor$ es la nuestra escrita de otra manera,
    $\lfloor (n + 2p - k + s)/s \rfloor = \lfloor (n + 2p - k)/s \rfloor + 1$.
    """,
    grade_id="nb04-md-summary",
)

if __name__ == "__main__":
    print(nb.write("04_hyperparameters.ipynb"))
