"""Source of notebooks/03_rgb.ipynb (colour images I3, RGB convolution C4, D filters, C5)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nbbuild import Notebook  # noqa: E402

nb = Notebook("nb03")

nb.md(
    r"""
    # Cuaderno 3 — Convolución de imágenes en color (RGB)

    **Objetivos.** Al terminar este cuaderno sabrás:

    1. que una imagen en color son tres matrices (R, G, B): un **volumen** o tensor;
    2. que sobre ese volumen seguimos aplicando una **convolución 2D**: el kernel tiene tantos
       canales como la entrada y la salida es una sola matriz, la suma de las convoluciones
       de cada canal;
    3. que con $D$ filtros se obtienen $D$ mapas de salida (un adelanto de los hiperparámetros)
       y que ese banco de filtros tiene $D \cdot (C \cdot h \cdot w + 1)$ parámetros;
    4. que pasar una foto a gris es una convolución $1 \times 1$, la primera del curso;
    5. que la convolución existe en 1D, 2D y 3D, y cuál es cuál.

    Los ejercicios calificados están marcados con ✏️. Escribe tu código donde pone
    `# ESCRIBE AQUÍ TU CÓDIGO` (borra la línea `raise NotImplementedError()` que lo acompaña)
    y ejecuta la celda de comprobación que va justo después: te dice si vas bien y,
    si no, qué error típico parece que has cometido. Al calificar se ejecutan además
    comprobaciones ocultas con otros tamaños y casos límite; las reglas de cada enunciado (qué
    devolver, qué no usar) ya las comprueba la celda de comprobación.
    """,
    grade_id="nb03-md-goals",
)

nb.code(
    """
    # Preparación: ejecuta esta celda primero.
    import numpy as np

    import cnncourse
    import cnncourse._grading as checks  # pistas de las comprobaciones (no lo modifiques)
    from cnncourse import data, plotting
    from cnncourse.arithmetic import conv_steps_text
    from cnncourse.widgets import sweep_explorer

    np.set_printoptions(precision=3, suppress=True)
    rng = np.random.default_rng(0)
    rgb = data.load_sample_image()  # (3, H, W), uint8: canales primero
    """,
    locked=True,
    grade_id="nb03-setup",
)

nb.md(
    r"""
    ## 1. Una imagen en color son tres matrices

    Si la imagen es en color tendremos tres matrices, una por cada canal: rojo, verde y azul
    (**R**, **G**, **B**, de *red*, *green* y *blue*), cada una con valores entre 0 y 255.
    Juntas forman un **volumen o tensor** con $C = 3$ canales. La clase lo escribe
    $C \times W \times H$; en NumPy, como en el cuaderno 2, van filas antes que columnas y en este
    curso (como en PyTorch) el canal va primero: `rgb.shape == (C, H, W) == (3, H, W)` y
    `rgb[c, fila, columna]`. Es el orden que usamos en todo el cuaderno.
    """,
    concepts=["I3"],
)

nb.code(
    """
    print("forma:", rgb.shape, " tipo:", rgb.dtype)
    row, col = 300, 256
    print(
        f"el píxel ({row}, {col}) vale R={rgb[0, row, col]}, G={rgb[1, row, col]}, "
        f"B={rgb[2, row, col]}"
    )
    plotting.show_images(
        {"color": rgb, "canal R": rgb[0], "canal G": rgb[1], "canal B": rgb[2]}, size=2.8
    );
    """,
    concepts=["I3"],
)

nb.md(
    r"""
    Cada canal es una imagen en gris: claro donde ese color abunda. Compara el uniforme, la cara y
    el fondo en los tres canales: la misma zona puede ser clara en uno y oscura en otro.

    ## 2. Convolución sobre un volumen RGB

    A pesar de que la entrada es un volumen, **seguimos aplicando convoluciones 2D**: el kernel
    solo se desliza en dos direcciones (filas y columnas). Tenemos:

    * tensor 3D de entrada $\mathbf{x}$, `x.shape == (C, H, W)` (la clase: $C \times W \times H$),
    * tensor 3D kernel $\mathbf{u}$, `u.shape == (C, h, w)`, con tantos canales como la entrada
      (la clase: $C \times w \times h$),
    * matriz 2D de salida $\mathbf{o}$, `o.shape == (H - h + 1, W - w + 1)`.

    $$\mathbf{o}_{j,i} = \sum_{c=0}^{C-1} (\mathbf{x}_c \circledast \mathbf{u}_c)[j,i]
      = \sum_{c=0}^{C-1} \sum_{n=0}^{h-1} \sum_{m=0}^{w-1}
        \mathbf{x}_{c,\,n+j,\,m+i} \cdot \mathbf{u}_{c,n,m}$$

    Cada canal de la entrada se convoluciona con su canal del kernel y **se suman** los $C$
    resultados: la salida es una sola matriz.

    ### Un ejemplo con números

    Una entrada de 3 canales de $3 \times 3$ y un kernel de 3 canales de $2 \times 2$: primero
    los tres mapas por canal, $\mathbf{x}_c \circledast \mathbf{u}_c$, y después su suma.
    """,
    concepts=["C4"],
)

nb.code(
    r"""
    x_small = np.array(
        [
            [[1, 2, 0], [0, 1, 3], [2, 1, 1]],  # canal R
            [[0, 1, 1], [2, 0, 1], [1, 3, 0]],  # canal G
            [[1, 0, 2], [1, 1, 0], [0, 2, 1]],  # canal B
        ],
        dtype=float,
    )
    u_small = np.array(
        [
            [[1, 0], [0, 1]],  # u_R
            [[0, 2], [-1, 0]],  # u_G
            [[1, 1], [0, 0]],  # u_B
        ],
        dtype=float,
    )
    per_channel = [cnncourse.conv2d(x_small[c], u_small[c]) for c in range(3)]
    for name, o_c in zip("RGB", per_channel, strict=True):
        print(f"x_{name} ⊛ u_{name} =\n{o_c}")
    print(f"suma de los tres = o =\n{sum(per_channel)}")
    print(f"cnncourse.conv2d con el volumen entero:\n{cnncourse.conv2d(x_small, u_small)}")
    print()
    print(conv_steps_text(x_small, u_small))
    """,
    concepts=["C4"],
)

nb.md(
    r"""
    Con el deslizador, posición a posición: la misma ventana en los tres canales, los productos
    de cada canal y la suma total. (El explorador necesita un Jupyter en marcha.)
    """,
    concepts=["C4"],
    locked=False,
)

nb.code(
    """
    sweep_explorer(x_small, u_small)
    """
)

nb.md(
    r"""
    ✏️ **Ejercicio 1 (3 puntos).** Implementa `conv2d_rgb(x, u)` para `x` de forma `(C, H, W)` y
    `u` de forma `(C, h, w)`, con **cualquier número de canales** $C$ (no solo 3: lee
    `C = x.shape[0]`). Las reglas, que comprueban la celda de comprobación y también las
    comprobaciones ocultas que califican:

    * devuelve un `np.ndarray` nuevo de tipo `float` y de forma `(H - h + 1, W - w + 1)`;
    * no modifiques `x` ni `u`;
    * puedes escribir los bucles, o usar `cnncourse.conv2d` **canal a canal** (con `x[c]` y
      `u[c]`, matrices 2D) y sumar; no le pases el volumen entero, y no uses otras
      convoluciones ya hechas (`scipy.signal`, `scipy.ndimage`, `np.convolve`, `np.correlate`,
      `cnncourse.conv1d`). Se rechaza cualquier llamada a una función con esos nombres
      (`convolve`, `correlate`, `correlate2d`, `conv1d`...), aunque la hayas escrito tú.
    """,
    concepts=["C4"],
)

nb.solution(
    '''
    def conv2d_rgb(x, u):
        """Convolución 2D de x (C, H, W) con u (C, h, w), sin girar el kernel: devuelve o, de
        forma (H - h + 1, W - w + 1), con o[j, i] = Σ_c (x[c] ⊛ u[c])[j, i]."""
        ### BEGIN SOLUTION
        C, H, W = x.shape
        _, h, w = u.shape
        o = np.zeros((H - h + 1, W - w + 1))
        for c in range(C):
            for j in range(H - h + 1):
                for i in range(W - w + 1):
                    o[j, i] += np.sum(x[c, j : j + h, i : i + w] * u[c])
        return o
        ### END SOLUTION
    ''',
    grade_id="conv2d_rgb",
    concepts=["C4"],
)

nb.tests(
    r'''
    """Comprueba conv2d_rgb con 3 canales, con 1 y con 4, con kernels no simétricos."""
    gen = np.random.default_rng(3)
    cases = [  # (x, u): todos los tamaños distintos (C, H, W, h, w, Ho, Wo)
        (gen.integers(-4, 5, size=(3, 7, 8)).astype(float), gen.normal(size=(3, 2, 4))),
        (gen.integers(-4, 5, size=(1, 4, 10)).astype(float), gen.normal(size=(1, 2, 5))),
        (gen.integers(-4, 5, size=(4, 6, 9)).astype(float), gen.normal(size=(4, 2, 3))),
    ]
    with checks.exercise(globals(), "conv2d_rgb"):
        for x, u in cases:
            # las reglas del enunciado: conv2d solo canal a canal, sin tocar x ni u, ndarray float
            o = checks.check_rules(
                conv2d_rgb, (x, u), "conv2d_rgb", globals(), caller=checks.call_conv2d_rgb
            )
            hint = checks.explain_conv_rgb(o, x, u)
            expected = cnncourse.conv2d(x, u)  # la fórmula de la clase, de la biblioteca
            assert o.shape == expected.shape, hint
            checks.assert_close(
                o, expected, hint=hint, context=f"Con x de forma {x.shape} y u de forma {u.shape}."
            )
    print("¡Bien! conv2d_rgb suma la convolución de cada canal, con cualquier C.")
    ### BEGIN HIDDEN TESTS
    import cnncourse._grading as _grading

    _grading.trusted(globals()).hidden_conv_rgb(conv2d_rgb, globals())
    ### END HIDDEN TESTS
    ''',
    grade_id="test_conv2d_rgb",
    points=3,
)

nb.md(
    r"""
    Un kernel de color puede buscar cosas que un kernel de gris no ve. Este suma el rojo y resta
    la mitad del verde y del azul (cada canal con una media $5 \times 5$): responde a zonas
    **rojizas**, con un valor positivo donde el rojo supera la media del verde y el azul.
    `cnncourse.conv2d` acepta directamente el volumen `(C, H, W)` con un kernel `(C, h, w)`;
    comprobamos en un recorte que coincide con tu función. (En los ejercicios 1 y 2, en cambio,
    solo puedes llamarla canal a canal, con matrices 2D.)
    """,
    concepts=["C4"],
)

nb.code(
    """
    box = np.full((5, 5), 1 / 25)
    redness = np.stack([box, -0.5 * box, -0.5 * box])  # u de forma (3, 5, 5)
    out = cnncourse.conv2d(rgb, redness)
    crop = rgb[:, 380:420, 200:240].astype(float)
    print(
        "kernel",
        redness.shape,
        "sobre",
        rgb.shape,
        "-> salida",
        out.shape,
        "| diferencia con tu conv2d_rgb en un recorte:",
        f"{np.max(np.abs(conv2d_rgb(crop, redness) - cnncourse.conv2d(crop, redness))):.1e}",
    )
    lim = float(np.abs(out).max())
    plotting.show_images({"color": rgb}, size=3.6)
    plotting.show_images(
        {"rojez: x ⊛ u (rojo donde R > (G + B) / 2)": out},
        cmap="RdBu_r",
        vmin=-lim,
        vmax=lim,
        colorbar=True,
        size=3.6,
    );
    """,
    concepts=["C4"],
)

nb.md(
    r"""
    ## 3. Varios filtros, varios mapas de salida

    Hasta ahora hemos aplicado un solo filtro. Normalmente se aplican $D$ filtros a la vez, cada
    uno de forma `(C, h, w)`, para extraer más información de cada convolución. Cada filtro
    produce su mapa 2D (su mapa de características), y se apilan: con $D$ filtros la salida tiene
    forma `(D, H - h + 1, W - w + 1)` (la clase: $D \times (W-w+1) \times (H-h+1)$). (Lo
    estudiaremos a fondo con los hiperparámetros.)

    ✏️ **Ejercicio 2 (2 puntos).** Escribe `conv2d_multi(x, filters)` para `x` de forma
    `(C, H, W)` y `filters` de forma `(D, C, h, w)`: devuelve un array de forma
    `(D, H - h + 1, W - w + 1)` cuyo mapa `d` es `conv2d_rgb(x, filters[d])`. Usa tu
    `conv2d_rgb` (o bucles, o `cnncourse.conv2d` canal a canal, como en el ejercicio 1). Las
    reglas son las del ejercicio 1: un `np.ndarray` nuevo de tipo `float`,
    sin modificar `x` ni `filters`, y `cnncourse.conv2d` solo con matrices 2D:
    no le pases el volumen ni el banco de filtros enteros (aunque, como verás justo después,
    sabe hacerlo), y no uses `scipy`, `np.convolve`, `np.correlate` ni `cnncourse.conv1d`.
    Si tu `conv2d_rgb` incumple una regla, `conv2d_multi` también la incumple.
    """,
    concepts=["C4"],
)

nb.solution(
    '''
    def conv2d_multi(x, filters):
        """D filtros (D, C, h, w) sobre x (C, H, W): devuelve los D mapas apilados, de forma
        (D, H - h + 1, W - w + 1); el mapa d es conv2d_rgb(x, filters[d])."""
        ### BEGIN SOLUTION
        return np.stack([conv2d_rgb(x, f) for f in filters])
        ### END SOLUTION
    ''',
    grade_id="conv2d_multi",
    concepts=["C4"],
)

nb.tests(
    '''
    """Comprueba conv2d_multi con D = 2, 3 y 1 filtros sobre volúmenes de 3, 1 y 2 canales."""
    gen = np.random.default_rng(4)
    cases = [  # (x, filters): todos los tamaños distintos (D, C, H, W, h, w, Ho, Wo)
        (gen.normal(size=(3, 9, 11)), gen.normal(size=(2, 3, 4, 5))),
        (gen.normal(size=(1, 6, 10)), gen.normal(size=(3, 1, 2, 4))),
        (gen.normal(size=(2, 7, 9)), gen.normal(size=(1, 2, 3, 4))),
    ]
    with checks.exercise(globals(), "conv2d_multi", needs=("conv2d_rgb",)):
        for x, filters in cases:
            # las reglas del enunciado: conv2d solo canal a canal, sin tocar x ni filters, float
            maps = checks.check_rules(
                conv2d_multi,
                (x, filters),
                "conv2d_multi",
                globals(),
                caller=checks.call_conv2d_multi,
            )
            hint = checks.explain_conv_multi(maps, x, filters)
            expected = cnncourse.conv2d(x, filters)  # los D mapas, de la biblioteca
            assert maps.shape == expected.shape, hint
            checks.assert_close(
                maps,
                expected,
                hint=hint,
                context=f"Con x de forma {x.shape} y filters de forma {filters.shape}.",
            )
    print("¡Bien! D filtros -> D mapas de salida, apilados: forma (D, H - h + 1, W - w + 1).")
    ### BEGIN HIDDEN TESTS
    import cnncourse._grading as _grading

    _grading.trusted(globals()).hidden_conv_multi(conv2d_multi, globals())
    ### END HIDDEN TESTS
    ''',
    grade_id="test_conv2d_multi",
    points=2,
)

nb.md(
    r"""
    Un banco de 4 filtros de color sobre la foto: bordes verticales y horizontales (Sobel en los
    tres canales), rojez y «azulez». La salida es un volumen de forma `(4, H - 2, W - 2)`: la
    entrada de la siguiente capa de una CNN.
    """,
    concepts=["C4"],
)

nb.code(
    """
    k = data.kernels_2d()
    blur = k["desenfoque"]
    bank = np.stack(
        [
            np.stack([k["Sobel x"]] * 3) / 3,
            np.stack([k["Sobel y"]] * 3) / 3,
            np.stack([blur, -0.5 * blur, -0.5 * blur]),
            np.stack([-0.5 * blur, -0.5 * blur, blur]),
        ]
    )
    maps = cnncourse.conv2d(rgb, bank)
    print("filtros", bank.shape, "sobre", rgb.shape, "-> mapas", maps.shape)
    plotting.show_images(
        list(maps), ["bordes verticales", "bordes horizontales", "rojez", "azulez"], size=2.8
    );
    """,
    concepts=["C4"],
)

nb.md(
    r"""
    ### ¿Cuántos parámetros tiene un banco de filtros?

    En el cuaderno 1 contaste los parámetros de una capa densa (`dense_params`): un peso por
    píxel y por neurona, más un sesgo por neurona. En el cuaderno 2 vimos que un filtro de
    $h \times w$ sobre una imagen en gris tiene sus $h \cdot w$ valores más un **sesgo** $b$,
    es decir, $h \cdot w + 1$ parámetros. (La clase no escribe el sesgo: en su fórmula los
    valores de $\mathbf{u}$ son los únicos parámetros; las capas convolucionales reales, como
    `nn.Conv2d` de PyTorch, lo llevan por defecto, y aquí lo contamos.)

    Sobre un volumen, cada filtro tiene forma `(C, h, w)`: $C \cdot h \cdot w$ pesos, una matriz
    $h \times w$ por canal, y sigue teniendo **un solo sesgo**, que se suma a todo su mapa:
    $\mathbf{o} = \sum_c \mathbf{x}_c \circledast \mathbf{u}_c + b$. (Un sesgo por canal no
    añadiría nada: los $C$ números acabarían sumados en uno.) Con $D$ filtros hay un peso por
    cada valor del banco `(D, C, h, w)` y un sesgo por filtro:

    $$\text{parámetros} = D \cdot (C \cdot h \cdot w + 1)$$

    Por ejemplo, 10 filtros de $3 \times 3$ sobre una imagen RGB, un banco de forma
    `(10, 3, 3, 3)`, tienen $10 \cdot (3 \cdot 3 \cdot 3 + 1) = 10 \cdot 28 = 280$ parámetros.
    El tamaño $H \times W$ de la imagen no aparece: los mismos pesos recorren todas las
    posiciones (la **compartición de pesos** del cuaderno 1). Una capa densa de solo 10
    neuronas sobre una imagen RGB de $100 \times 100$ tendría
    $3 \cdot 100 \cdot 100 \cdot 10 + 10 = 300\,010$ parámetros.

    ✏️ **Ejercicio 3 (1 punto).** Escribe `filter_bank_params(D, C, h, w)`: el número de
    parámetros (pesos **y** sesgos) de $D$ filtros de forma `(C, h, w)`, con un sesgo por
    filtro. Los argumentos van en el orden de `filters.shape`, `(D, C, h, w)`: así,
    `filter_bank_params(*filters.shape)` cuenta los de un banco `filters`. Devuelve un `int`
    (un entero de Python o de NumPy, no un `float`: calcula solo con `*` y `+`); es una regla
    que comprueban la celda de comprobación y también las comprobaciones ocultas.
    """,
    concepts=["C4", "C6", "H1"],
)

nb.solution(
    '''
    def filter_bank_params(D, C, h, w):
        """Número de parámetros (pesos y sesgos), un int, de D filtros de forma (C, h, w),
        con un sesgo por filtro."""
        ### BEGIN SOLUTION
        return D * (C * h * w + 1)
        ### END SOLUTION
    ''',
    grade_id="filter_bank_params",
    concepts=["C6", "H1"],
)

nb.tests(
    '''
    """Comprueba filter_bank_params con kernels no cuadrados y con 10 filtros de 3 x 3 x 3."""
    table = [  # (D, C, h, w, esperado)
        (2, 5, 3, 4, 122),  # 2 filtros de 3 x 4 sobre 5 canales: 2 · (5 · 3 · 4 + 1)
        (6, 2, 1, 4, 54),  # 6 filtros de 1 x 4 sobre 2 canales: 6 · (2 · 1 · 4 + 1)
        (10, 3, 3, 3, 280),  # 10 filtros de 3 x 3 sobre una imagen RGB: 10 · 28
        (4, 3, 3, 3, 112),  # el banco de 4 filtros de la sección 3: 4 · 28
    ]
    with checks.exercise(globals(), "filter_bank_params"):
        for D, C, h, w, expected in table:
            n = filter_bank_params(D, C, h, w)
            checks.check_bank_params_result(n, D, C, h, w)  # la regla: un int
            assert n == expected, (
                f"{checks.explain_bank_params(n, D, C, h, w)} "
                f"filter_bank_params({D}, {C}, {h}, {w}) devolvió {n}; se esperaba {expected}."
            ).lstrip()
    n = filter_bank_params(10, 3, 3, 3)
    print(f"¡Bien! 10 filtros de 3 x 3 sobre una imagen RGB tienen {n} parámetros.")
    ### BEGIN HIDDEN TESTS
    import cnncourse._grading as _grading

    _grading.trusted(globals()).hidden_bank_params(filter_bank_params)
    ### END HIDDEN TESTS
    ''',
    grade_id="test_filter_bank_params",
    points=1,
)

nb.md(
    r"""
    Tu función con algunos bancos. La salida de una capa es la entrada de la siguiente: tras 64
    filtros, la capa siguiente recibe un volumen de 64 canales, y cada uno de sus filtros tiene
    una matriz $3 \times 3$ por canal, $64 \cdot 9 = 576$ pesos. Al crecer $C$ crecen los
    parámetros, aunque el kernel siga siendo de $3 \times 3$.
    """,
    concepts=["C6", "H1"],
)

nb.code(
    """
    banks = {
        "10 filtros de 3 x 3 sobre RGB": (10, 3, 3, 3),
        "el banco de la sección 3": bank.shape,
        "64 filtros de 3 x 3 sobre RGB": (64, 3, 3, 3),
        "64 filtros de 3 x 3 sobre 64 mapas": (64, 64, 3, 3),
    }
    for name, shape in banks.items():
        n = filter_bank_params(*shape)
        print(f"{name:<36}{str(shape):<16}{n:>8_} parámetros".replace("_", " "))
    n = filter_bank_params(*bank.shape)
    print(f"\\nel banco de la sección 3: {bank.size} pesos (bank.size) + {len(bank)} sesgos = {n}")
    dense = rgb.size * len(bank) + len(bank)  # un peso por valor de la foto y neurona + sesgos
    print(
        f"una capa densa de {len(bank)} neuronas sobre la foto {rgb.shape}: {dense:_} "
        "parámetros".replace("_", " ")
    )
    """,
    concepts=["C6"],
)

nb.md(
    r"""
    ## 4. Convolución $1 \times 1$: de color a gris

    ¿Cómo se pasa una foto en color a escala de gris? La fórmula clásica (la de la televisión,
    recomendación ITU-R BT.601) pondera los canales según lo sensible que es el ojo a cada color:

    $$\text{gris}_{j,i} = 0.299\, \mathbf{x}_{R,j,i} + 0.587\, \mathbf{x}_{G,j,i} + 0.114\, \mathbf{x}_{B,j,i}$$

    ¡Es una convolución RGB! Con un kernel de forma `(3, 1, 1)`, es decir $C = 3$ y
    $h = w = 1$, la fórmula de la sección 2 se queda en
    $\mathbf{o}_{j,i} = \sum_c \mathbf{x}_{c,j,i} \cdot \mathbf{u}_{c,0,0}$: en cada píxel, una
    suma ponderada de sus canales, sin mirar a los vecinos. La salida tiene el mismo alto y ancho
    que la entrada ($H - 1 + 1 = H$).

    Es la primera **convolución $1 \times 1$** del curso. Con $D$ filtros de forma `(C, 1, 1)`
    convierte $C$ canales en $D$ canales nuevos, píxel a píxel, con solo
    $D \cdot (C \cdot 1 \cdot 1 + 1) = D \cdot (C + 1)$ parámetros: GoogLeNet las usa en sus
    bloques *inception* para reducir el número de canales antes de las convoluciones caras (lo
    veremos con las arquitecturas). El gris es el caso $D = 1$, $C = 3$, con sus 3 pesos y sin
    sesgo ($b = 0$).

    ✏️ **Ejercicio 4 (2 puntos).** Escribe `rgb_to_gray(x)` para `x` de forma `(3, H, W)`:
    construye el kernel `(3, 1, 1)` con los pesos $(0.299, 0.587, 0.114)$ en el orden de los
    canales (R, G, B) y aplícalo: aquí puedes usar tu `conv2d_rgb`, tu `conv2d_multi` o
    `cnncourse.conv2d` (incluso con el volumen entero).
    Devuelve un `np.ndarray` nuevo de tipo `float` y de forma `(H, W)`, sin redondear ni
    convertir a `uint8`, y no modifiques `x`.
    """,  # noqa: E501 - a display formula stays on one line
    concepts=["C4"],
)

nb.solution(
    '''
    def rgb_to_gray(x):
        """Gris de una imagen RGB x (3, H, W): convolución 1 x 1 con los pesos
        (0.299, 0.587, 0.114) de R, G y B; devuelve un array float de forma (H, W)."""
        ### BEGIN SOLUTION
        u = np.array([0.299, 0.587, 0.114]).reshape(3, 1, 1)
        return conv2d_rgb(x, u)
        ### END SOLUTION
    ''',
    grade_id="rgb_to_gray",
    concepts=["C4"],
)

nb.tests(
    r'''
    """Comprueba rgb_to_gray en una imagen 3 x 2 x 4: colores puros, una mezcla y gris."""
    x = np.zeros((3, 2, 4))
    x[0, 0, 0] = 100.0  # un píxel rojo
    x[1, 0, 1] = 100.0  # uno verde
    x[2, 0, 2] = 100.0  # uno azul
    x[:, 0, 3] = [10.0, 20.0, 30.0]  # una mezcla: R = 10, G = 20, B = 30
    x[:, 1, :] = 200.0  # una fila gris claro: R = G = B = 200
    expected = np.array([[29.9, 58.7, 11.4, 18.15], [200.0, 200.0, 200.0, 200.0]])
    with checks.exercise(globals(), "rgb_to_gray", needs=("conv2d_rgb", "conv2d_multi")):
        # las reglas del enunciado: sin tocar x, un ndarray float
        g = checks.check_rules(
            rgb_to_gray, (x,), "rgb_to_gray", globals(), caller=checks.call_rgb_to_gray
        )
        assert g.shape == (2, 4), (
            f"{checks.explain_rgb_to_gray(g, x)} Para x de forma (3, 2, 4) la salida es (2, 4): "
            "un kernel 1 x 1 no encoge la imagen."
        )
        checks.assert_close(
            g, expected, hint=lambda: checks.explain_rgb_to_gray(g, x), context=f"Con x =\n{x}"
        )
        x1 = x[:, :1, :].copy()  # una imagen de una sola fila (H = 1): la salida es (1, 4)
        g1 = checks.check_rules(
            rgb_to_gray, (x1,), "rgb_to_gray", globals(), caller=checks.call_rgb_to_gray
        )
        assert g1.shape == (1, 4), checks.explain_rgb_to_gray(g1, x1)
        checks.assert_close(
            g1,
            expected[:1],
            hint=lambda: checks.explain_rgb_to_gray(g1, x1),
            context=f"Con x =\n{x1}",
        )
    print("¡Bien! El gris es una convolución 1 x 1 de los tres canales.")
    ### BEGIN HIDDEN TESTS
    import cnncourse._grading as _grading

    _grading.trusted(globals()).hidden_rgb_to_gray(rgb_to_gray, globals())
    ### END HIDDEN TESTS
    ''',
    grade_id="test_rgb_to_gray",
    points=2,
)

nb.code(
    """
    gray = rgb_to_gray(rgb)
    print(
        "foto",
        rgb.shape,
        "⊛ kernel (3, 1, 1) ->",
        gray.shape,
        "| máxima diferencia con data.to_grayscale (que redondea a enteros):",
        f"{np.max(np.abs(gray - data.to_grayscale(rgb))):.3f}",
    )
    plotting.show_images({"color": rgb, "rgb_to_gray(foto)": gray}, size=3.6);
    """,
    concepts=["C4"],
)

nb.md(
    r"""
    ## 5. Convoluciones 1D, 2D y 3D

    La operación de convolución se puede aplicar en múltiples dimensiones, pero las más comunes
    son **1D, 2D y 3D**. Lo que define el tipo es **en cuántas direcciones se desliza el kernel**,
    no cuántas dimensiones tienen los datos:

    | tipo | el kernel se desliza por | ejemplos |
    |---|---|---|
    | 1D | una dirección (tiempo) | señales, audio, series temporales (cuaderno 1) |
    | 2D | dos direcciones (filas, columnas) | imágenes en gris o en color (cuadernos 2 y 3) |
    | 3D | tres direcciones | vídeo (tiempo × alto × ancho), TAC y resonancias |

    Una imagen RGB es un volumen, pero su convolución es 2D: el kernel ocupa los 3 canales y no se
    mueve entre ellos. En una convolución 3D el kernel también se desliza en la tercera
    dirección (por eso suele ser más corto que ella). Con la suma de la sección 2 se construye
    directamente: para un vídeo en gris de forma `(T, H, W)` y un kernel `(t, h, w)`, el
    fotograma $f$ de la salida es
    $\mathbf{o}[f] = \sum_{q=0}^{t-1} \mathbf{x}[f+q] \circledast \mathbf{u}[q]$, la misma suma
    que en RGB pero con el kernel recorriendo también los fotogramas. (Un vídeo en color añade
    los canales: el kernel tiene forma `(C, t, h, w)` y sus canales se suman como en RGB.)
    """,
    concepts=["C5"],
)

nb.code(
    '''
    def conv3d(x, u):
        """Convolución 3D, sin girar el kernel: (T, H, W) ⊛ (t, h, w) -> (T-t+1, H-h+1, W-w+1)."""
        T, t = x.shape[0], u.shape[0]
        return np.stack([cnncourse.conv2d(x[f : f + t], u) for f in range(T - t + 1)])


    # un «vídeo» de 6 fotogramas 16 x 16: un cuadrado que se mueve hacia la derecha
    video = np.zeros((6, 16, 16))
    for f in range(6):
        video[f, 5:10, 2 + 2 * f : 7 + 2 * f] = 1.0
    motion = np.zeros((2, 3, 3))
    motion[0, 1, 1], motion[1, 1, 1] = -1.0, 1.0  # fotograma siguiente menos el actual
    out3d = conv3d(video, motion)
    print("vídeo", video.shape, "⊛ kernel", motion.shape, "->", out3d.shape)
    plotting.show_images(
        [video[0], video[1], out3d[0]],
        ["fotograma 0", "fotograma 1", "cambio 0 -> 1"],
        colorbar=True,
    );
    ''',
    concepts=["C5"],
)

nb.md(
    r"""
    ## Resumen

    * Una imagen en color son tres matrices (R, G, B) con valores entre 0 y 255: un volumen que
      la clase escribe $C \times W \times H$ y que en NumPy tiene forma `(C, H, W)`.
    * Sobre ella seguimos aplicando una **convolución 2D**: el kernel tiene forma `(C, h, w)` y
      $\mathbf{o}_{j,i} = \sum_c (\mathbf{x}_c \circledast \mathbf{u}_c)[j,i]$; la salida es una
      sola matriz de forma `(H - h + 1, W - w + 1)`.
    * Con $D$ filtros de forma `(C, h, w)` la salida tiene forma `(D, H - h + 1, W - w + 1)`, y
      el banco tiene $D \cdot (C \cdot h \cdot w + 1)$ parámetros (un peso por valor del banco
      y un sesgo por filtro): 280 para 10 filtros de $3 \times 3$ sobre una imagen RGB, sea
      cual sea su tamaño.
    * Un kernel `(3, 1, 1)` con pesos $(0.299, 0.587, 0.114)$ pasa la foto a gris: una
      **convolución $1 \times 1$**, que mezcla canales píxel a píxel (GoogLeNet la usa, lo
      veremos con las arquitecturas).
    * Las convoluciones más comunes son 1D (señales), 2D (imágenes) y 3D (vídeo, volúmenes
      médicos); el tipo lo marca el número de direcciones en que se desliza el kernel.

    **Siguiente:** el cuaderno 4, con los hiperparámetros de la convolución: número de filtros,
    tamaño del kernel, padding y stride (salto).
    """,
    grade_id="nb03-md-summary",
)

if __name__ == "__main__":
    print(nb.write("03_rgb.ipynb"))
