/**
 * Technical / scientific / engineering concepts (explained without asking for code), as
 * "English|Spanish" pairs, with the question frames that ask about them.
 */

/** Concepts: "English|Spanish". */
export const TECH_CONCEPTS = `
TCP congestion control|el control de congestión de TCP
the TCP three-way handshake|el saludo de tres vías de TCP
DNS resolution|la resolución DNS
a DNS resolver|un resolvedor DNS
BGP routing|el enrutamiento BGP
the OSI model|el modelo OSI
subnetting|la división en subredes
a VLAN|una VLAN
IPv6 addressing|el direccionamiento IPv6
NAT|el NAT
a load balancer|un balanceador de carga
anycast|el anycast
TLS certificate validation|la validación de certificados TLS
public-key cryptography|la criptografía de clave pública
the Diffie-Hellman key exchange|el intercambio de claves Diffie-Hellman
elliptic curve cryptography|la criptografía de curva elíptica
a hash function|una función hash
a message authentication code|un código de autenticación de mensajes
a zero-knowledge proof|una prueba de conocimiento cero
Wi-Fi channel interference|la interferencia entre canales Wi-Fi
5G beamforming|el beamforming en 5G
QUIC|el protocolo QUIC
HTTP/2 multiplexing|la multiplexación de HTTP/2
a VPN tunnel|un túnel VPN
a firewall|un cortafuegos
packet loss|la pérdida de paquetes
jitter in VoIP calls|el jitter en llamadas VoIP
network bandwidth|el ancho de banda de una red
a B-tree index|un índice B-tree
database normalization|la normalización de bases de datos
ACID transactions|las transacciones ACID
eventual consistency|la consistencia eventual
the CAP theorem|el teorema CAP
write-ahead logging|el registro de escritura anticipada
MVCC|el control de concurrencia multiversión
database replication|la replicación de bases de datos
a columnar database|una base de datos columnar
a query planner|un planificador de consultas
a distributed consensus algorithm like Raft|un algoritmo de consenso distribuido como Raft
the Paxos algorithm|el algoritmo Paxos
a vector database|una base de datos vectorial
a bloom filter|un filtro de Bloom
a hash table|una tabla hash
a skip list|una lista de saltos
big-O notation|la notación O grande
dynamic programming|la programación dinámica
NP-completeness|la NP-completitud
the halting problem|el problema de la parada
virtual memory|la memoria virtual
paging and the TLB|la paginación y la TLB
a page fault|un fallo de página
context switching|el cambio de contexto
the process scheduler|el planificador de procesos
a system call|una llamada al sistema
a deadlock|un interbloqueo
a mutex|un mutex
a semaphore|un semáforo
a race condition|una condición de carrera
memory-mapped files|los archivos mapeados en memoria
a file system journal|el journaling de un sistema de archivos
copy-on-write|la copia en escritura
the Linux kernel|el núcleo de Linux
containers versus virtual machines|los contenedores frente a las máquinas virtuales
a hypervisor|un hipervisor
garbage collection|la recolección de basura
reference counting|el conteo de referencias
a JIT compiler|un compilador JIT
branch prediction|la predicción de saltos
out-of-order execution|la ejecución fuera de orden
a CPU cache|la caché de la CPU
cache coherence|la coherencia de caché
pipelining in a CPU|la segmentación de la CPU
speculative execution|la ejecución especulativa
SIMD vector units|las unidades vectoriales SIMD
a GPU|una GPU
DRAM refresh|el refresco de la DRAM
an SSD controller|un controlador de SSD
NAND flash wear leveling|la nivelación de desgaste en memorias flash NAND
RAID 5|el RAID 5
the PCIe bus|el bus PCIe
an FPGA|una FPGA
ARM versus x86 architectures|las arquitecturas ARM frente a x86
a RISC instruction set|un conjunto de instrucciones RISC
clock speed and IPC|la frecuencia de reloj y el IPC
thermal throttling|el estrangulamiento térmico
a transistor|un transistor
a MOSFET|un MOSFET
an op-amp|un amplificador operacional
a capacitor|un condensador
an inductor|una bobina
Ohm's law|la ley de Ohm
Kirchhoff's laws|las leyes de Kirchhoff
impedance|la impedancia
a voltage regulator|un regulador de tensión
a buck converter|un convertidor reductor
pulse-width modulation|la modulación por ancho de pulso
an analog-to-digital converter|un convertidor analógico-digital
the Nyquist sampling theorem|el teorema de muestreo de Nyquist
the Fourier transform|la transformada de Fourier
a low-pass filter|un filtro paso bajo
a PID controller|un controlador PID
three-phase power|la corriente trifásica
alternating current|la corriente alterna
a transformer in a power grid|un transformador en la red eléctrica
a lithium-ion battery|una batería de iones de litio
a solar panel|un panel solar
an electric motor|un motor eléctrico
a heat pump|una bomba de calor
a jet engine|un motor a reacción
a four-stroke engine|un motor de cuatro tiempos
a suspension bridge|un puente colgante
reinforced concrete|el hormigón armado
aerodynamic lift|la sustentación aerodinámica
the Bernoulli principle|el principio de Bernoulli
entropy in thermodynamics|la entropía en termodinámica
the second law of thermodynamics|la segunda ley de la termodinámica
quantum entanglement|el entrelazamiento cuántico
quantum tunneling|el efecto túnel cuántico
the uncertainty principle|el principio de incertidumbre
special relativity|la relatividad especial
general relativity|la relatividad general
a black hole|un agujero negro
nuclear fission|la fisión nuclear
nuclear fusion|la fusión nuclear
radioactive decay|la desintegración radiactiva
electromagnetic induction|la inducción electromagnética
superconductivity|la superconductividad
the photoelectric effect|el efecto fotoeléctrico
a laser|un láser
semiconductor doping|el dopaje de semiconductores
chemical equilibrium|el equilibrio químico
a catalyst|un catalizador
covalent bonds|los enlaces covalentes
pH and buffers|el pH y las soluciones tampón
oxidation and reduction|la oxidación y la reducción
polymerization|la polimerización
the Haber process|el proceso Haber
CRISPR gene editing|la edición genética con CRISPR
mRNA vaccines|las vacunas de ARN mensajero
PCR amplification|la amplificación por PCR
backpropagation|la retropropagación
gradient descent|el descenso de gradiente
stochastic gradient descent|el descenso de gradiente estocástico
the Adam optimizer|el optimizador Adam
overfitting|el sobreajuste
the bias-variance tradeoff|el compromiso entre sesgo y varianza
L1 regularization|la regularización L1
batch normalization|la normalización por lotes
dropout in neural networks|el dropout en redes neuronales
a convolutional neural network|una red neuronal convolucional
a recurrent neural network|una red neuronal recurrente
the attention mechanism in transformers|el mecanismo de atención de los transformers
self-attention|la autoatención
positional encoding|la codificación posicional
tokenization in language models|la tokenización en modelos de lenguaje
word embeddings|los embeddings de palabras
a variational autoencoder|un autoencoder variacional
a generative adversarial network|una red generativa antagónica
diffusion models|los modelos de difusión
reinforcement learning|el aprendizaje por refuerzo
Q-learning|el Q-learning
cross-validation|la validación cruzada
precision and recall|la precisión y la exhaustividad
the ROC curve|la curva ROC
principal component analysis|el análisis de componentes principales
k-means clustering|el agrupamiento k-means
a decision tree|un árbol de decisión
gradient boosting|el gradient boosting
a support vector machine|una máquina de vectores de soporte
Bayes' theorem|el teorema de Bayes
a Markov chain|una cadena de Márkov
the central limit theorem|el teorema del límite central
quantization of neural network weights|la cuantización de pesos de redes neuronales
knowledge distillation|la destilación de conocimiento
mixture of experts models|los modelos de mezcla de expertos
retrieval-augmented generation|la generación aumentada por recuperación
the KV cache in LLM inference|la caché KV en la inferencia de LLM
speculative decoding|la decodificación especulativa
floating-point rounding error|el error de redondeo en coma flotante
two's complement|el complemento a dos
endianness|el orden de los bytes
Unicode and UTF-8|Unicode y UTF-8
data compression|la compresión de datos
Huffman coding|la codificación Huffman
error-correcting codes|los códigos de corrección de errores
a microservices architecture|una arquitectura de microservicios
a message queue|una cola de mensajes
event sourcing|el event sourcing
a content delivery network|una red de distribución de contenidos
caching strategies|las estrategias de caché
rate limiting|la limitación de tasa
horizontal scaling|el escalado horizontal
a service mesh|una malla de servicios
Kubernetes scheduling|la planificación en Kubernetes
serverless computing|la computación sin servidor
OAuth 2.0|OAuth 2.0
single sign-on|el inicio de sesión único
a SQL injection attack|un ataque de inyección SQL
cross-site scripting|el cross-site scripting
a buffer overflow|un desbordamiento de búfer
a side-channel attack|un ataque de canal lateral
ransomware|el ransomware
two-factor authentication|la autenticación de dos factores
a blockchain|una blockchain
proof of stake|la prueba de participación
GPS positioning|el posicionamiento GPS
radar|el radar
fiber optic cables|la fibra óptica
satellite orbits|las órbitas de los satélites
a rocket engine|un motor cohete
the greenhouse effect|el efecto invernadero
plate tectonics|la tectónica de placas
an operating system bootloader|el gestor de arranque de un sistema operativo
BIOS versus UEFI|BIOS frente a UEFI
an interrupt handler|un manejador de interrupciones
DMA|el acceso directo a memoria
a real-time operating system|un sistema operativo en tiempo real
the I2C bus|el bus I2C
the SPI protocol|el protocolo SPI
a microcontroller|un microcontrolador
ECC memory|la memoria ECC
the Pythagorean theorem|el teorema de Pitágoras
a derivative in calculus|la derivada en cálculo
a definite integral|una integral definida
the fundamental theorem of calculus|el teorema fundamental del cálculo
eigenvalues and eigenvectors|los valores y vectores propios
matrix multiplication|la multiplicación de matrices
a determinant|el determinante de una matriz
a logarithm|un logaritmo
complex numbers|los números complejos
Euler's identity|la identidad de Euler
a Taylor series|una serie de Taylor
a limit in calculus|un límite en cálculo
a differential equation|una ecuación diferencial
a vector space|un espacio vectorial
linear regression|la regresión lineal
standard deviation|la desviación típica
the normal distribution|la distribución normal
a confidence interval|un intervalo de confianza
hypothesis testing|el contraste de hipótesis
conditional probability|la probabilidad condicionada
graph theory|la teoría de grafos
modular arithmetic|la aritmética modular
prime factorization|la factorización en primos
a proof by induction|una demostración por inducción
Boolean algebra|el álgebra de Boole
set theory|la teoría de conjuntos
the number pi|el número pi
exponential growth|el crecimiento exponencial
photosynthesis|la fotosíntesis
cellular respiration|la respiración celular
DNA transcription|la transcripción del ADN
natural selection|la selección natural
the periodic table|la tabla periódica
chemical bonding|el enlace químico
an exothermic reaction|una reacción exotérmica
the ideal gas law|la ley de los gases ideales
Newton's laws of motion|las leyes de Newton
kinetic and potential energy|la energía cinética y potencial
the conservation of momentum|la conservación del momento
refraction of light|la refracción de la luz
sound waves|las ondas sonoras
the electromagnetic spectrum|el espectro electromagnético
the Big Bang|el Big Bang
a supernova|una supernova
earthquakes and seismic waves|los terremotos y las ondas sísmicas
ocean tides|las mareas
`;

/** Pairs for "difference between A and B": "A|B|A_es|B_es". */
export const TECH_PAIRS = `
TCP|UDP|TCP|UDP
a process|a thread|un proceso|un hilo
RAM|ROM|la RAM|la ROM
SQL databases|NoSQL databases|las bases de datos SQL|las NoSQL
latency|bandwidth|la latencia|el ancho de banda
HTTP|HTTPS|HTTP|HTTPS
symmetric encryption|asymmetric encryption|el cifrado simétrico|el asimétrico
a switch|a router|un switch|un router
IPv4|IPv6|IPv4|IPv6
SSD|HDD|un SSD|un disco duro
a compiler|an interpreter|un compilador|un intérprete
concurrency|parallelism|la concurrencia|el paralelismo
supervised learning|unsupervised learning|el aprendizaje supervisado|el no supervisado
classification|regression|la clasificación|la regresión
AC|DC|la corriente alterna|la continua
a CPU|a GPU|una CPU|una GPU
horizontal scaling|vertical scaling|el escalado horizontal|el vertical
hashing|encryption|el hashing|el cifrado
fission|fusion|la fisión|la fusión
mass|weight|la masa|el peso
speed|velocity|la rapidez|la velocidad
a virus|a worm|un virus|un gusano
L1 cache|L2 cache|la caché L1|la caché L2
REST|gRPC|REST|gRPC
batch processing|stream processing|el procesamiento por lotes|el procesamiento en streaming
a stack|a heap|la pila|el montón
row stores|column stores|el almacenamiento por filas|por columnas
authentication|authorization|la autenticación|la autorización
precision|accuracy|la precisión|la exactitud
series circuits|parallel circuits|los circuitos en serie|en paralelo
`;

/** Open "why/how" questions: "English|Spanish". */
export const TECH_WHY = `
Why do CPUs have multiple cache levels?|¿Por qué las CPU tienen varios niveles de caché?
Why is UDP used for video streaming?|¿Por qué se usa UDP para el streaming de vídeo?
Why does a database need indexes?|¿Por qué una base de datos necesita índices?
Why are GPUs good at training neural networks?|¿Por qué las GPU son buenas entrenando redes neuronales?
Why does Wi-Fi get slower through walls?|¿Por qué el Wi-Fi va más lento a través de las paredes?
Why do transformers scale better than RNNs?|¿Por qué los transformers escalan mejor que las RNN?
Why does the sky look blue?|¿Por qué el cielo se ve azul?
Why do airplanes fly?|¿Por qué vuelan los aviones?
Why does a battery lose capacity over time?|¿Por qué una batería pierde capacidad con el tiempo?
Why can't we exceed the speed of light?|¿Por qué no se puede superar la velocidad de la luz?
Why is floating-point addition not associative?|¿Por qué la suma en coma flotante no es asociativa?
Why do hard drives fragment?|¿Por qué se fragmentan los discos duros?
Why does increasing the learning rate make training diverge?|¿Por qué un learning rate alto hace que el entrenamiento diverja?
Why is quantum computing hard to scale?|¿Por qué es difícil escalar la computación cuántica?
Why do power lines use high voltage?|¿Por qué las líneas eléctricas usan alta tensión?
Why does my ping spike when someone streams video?|¿Por qué sube mi ping cuando alguien ve vídeos en streaming?
Why is ECC memory used in servers?|¿Por qué los servidores usan memoria ECC?
Why do microwaves heat food?|¿Por qué los microondas calientan la comida?
Why does salt lower the freezing point of water?|¿Por qué la sal baja el punto de congelación del agua?
How does a hard drive store bits magnetically?|¿Cómo guarda bits un disco duro magnético?
How do noise-cancelling headphones work?|¿Cómo funcionan los auriculares con cancelación de ruido?
How does a touchscreen detect fingers?|¿Cómo detecta los dedos una pantalla táctil?
How does public Wi-Fi encryption protect me?|¿Cómo me protege el cifrado de una red Wi-Fi pública?
How do search engines rank pages?|¿Cómo ordenan las páginas los buscadores?
How does an electric car regenerate energy when braking?|¿Cómo recupera energía un coche eléctrico al frenar?
How do vaccines train the immune system?|¿Cómo entrenan las vacunas al sistema inmunitario?
How does a nuclear reactor control the chain reaction?|¿Cómo controla un reactor nuclear la reacción en cadena?
How do language models predict the next token?|¿Cómo predicen los modelos de lenguaje el siguiente token?
How does an operating system isolate processes?|¿Cómo aísla los procesos un sistema operativo?
How does a CPU execute an instruction?|¿Cómo ejecuta una instrucción la CPU?
What limits the clock speed of a processor?|¿Qué limita la frecuencia de reloj de un procesador?
What happens when I type a URL into the browser?|¿Qué pasa cuando escribo una URL en el navegador?
What makes a hash function cryptographically secure?|¿Qué hace que una función hash sea criptográficamente segura?
What causes memory fragmentation?|¿Qué causa la fragmentación de memoria?
What is the role of the kernel in an operating system?|¿Cuál es el papel del núcleo en un sistema operativo?
What determines the range of a Bluetooth connection?|¿Qué determina el alcance de una conexión Bluetooth?
`;

/** Frames that ask to explain a concept, English. `{c}` is the concept. */
export const TECH_FRAMES_EN = [
  "Explain {c}.", "Explain how {c} works.", "How does {c} work?", "What is {c}?", "What's {c}?",
  "Can you explain {c} in simple terms?", "Describe {c}.", "What are the advantages and drawbacks of {c}?",
  "Give me an intuitive explanation of {c}.", "I'm studying for an exam: explain {c}.",
  "What problem does {c} solve?", "Help me understand {c}.", "Explain {c} like I'm five.",
  "What is the purpose of {c}?", "Could you walk me through {c}?", "Tell me how {c} works under the hood.",
  "In a nutshell, what is {c}?", "What are the main ideas behind {c}?", "Why is {c} important?",
  "What's the theory behind {c}?", "Summarize the key concepts of {c}.", "What does {c} do?", "What is {c} used for?", "How would you explain {c} to an engineer?",
  "Describe the internals of {c}.", "What are common misconceptions about {c}?", "When is {c} used in practice?",
];

/** Frames that ask to explain a concept, Spanish. */
export const TECH_FRAMES_ES = [
  "Explica {c}.", "Explica cómo funciona {c}.", "¿Cómo funciona {c}?", "¿Qué es {c}?",
  "¿Me explicas {c} de forma sencilla?", "Describe {c}.", "¿Qué ventajas e inconvenientes tiene {c}?",
  "Dame una explicación intuitiva de {c}.", "Estoy estudiando para un examen: explícame {c}.",
  "¿Qué problema resuelve {c}?", "Ayúdame a entender {c}.", "Explícame {c} como si tuviera cinco años.",
  "¿Para qué sirve {c}?", "¿Podrías explicarme {c} paso a paso?", "Cuéntame cómo funciona {c} por dentro.",
  "En pocas palabras, ¿qué es {c}?", "¿Cuáles son las ideas principales de {c}?", "¿Por qué es importante {c}?",
  "¿Cuál es la teoría detrás de {c}?", "Resume los conceptos clave de {c}.", "¿Qué hace {c}?", "¿Para qué se usa {c}?", "¿En qué consiste {c}?",
  "Describe el funcionamiento interno de {c}.", "¿Qué errores comunes hay al entender {c}?", "¿Cuándo se usa {c} en la práctica?",
];

/** Comparison frames: `{a}` and `{b}`. */
export const TECH_PAIR_FRAMES_EN = [
  "What's the difference between {a} and {b}?", "Compare {a} and {b}.", "{a} vs {b}: when should I choose each?",
  "How does {a} differ from {b}?", "Explain the difference between {a} and {b}.", "Is {a} better than {b}?",
];
/** Spanish comparison frames. */
export const TECH_PAIR_FRAMES_ES = [
  "¿Cuál es la diferencia entre {a} y {b}?", "Compara {a} y {b}.", "{a} o {b}: ¿cuándo conviene cada uno?",
  "¿En qué se diferencia {a} de {b}?", "Explica la diferencia entre {a} y {b}.", "¿Es mejor {a} que {b}?",
];
