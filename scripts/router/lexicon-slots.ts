/**
 * Open-class word lists that give the topic classes a broad vocabulary: each item is combined
 * with several frames per class ("English|Spanish", plural or article forms as the frames need).
 */

/** Animals: "English singular with article|English plural|Spanish singular with article|Spanish plural". */
export const ANIMALS = `
a lion|lions|un león|los leones
a tiger|tigers|un tigre|los tigres
a giraffe|giraffes|una jirafa|las jirafas
an elephant|elephants|un elefante|los elefantes
a penguin|penguins|un pingüino|los pingüinos
a dolphin|dolphins|un delfín|los delfines
a shark|sharks|un tiburón|los tiburones
a whale|whales|una ballena|las ballenas
an owl|owls|un búho|los búhos
an eagle|eagles|un águila|las águilas
a wolf|wolves|un lobo|los lobos
a fox|foxes|un zorro|los zorros
a bear|bears|un oso|los osos
a panda|pandas|un panda|los pandas
a kangaroo|kangaroos|un canguro|los canguros
a hamster|hamsters|un hámster|los hámsters
a parrot|parrots|un loro|los loros
a horse|horses|un caballo|los caballos
a cow|cows|una vaca|las vacas
a bee|bees|una abeja|las abejas
an ant|ants|una hormiga|las hormigas
a butterfly|butterflies|una mariposa|las mariposas
a turtle|turtles|una tortuga|las tortugas
a snake|snakes|una serpiente|las serpientes
a frog|frogs|una rana|las ranas
a jellyfish|jellyfish|una medusa|las medusas
a cheetah|cheetahs|un guepardo|los guepardos
a gorilla|gorillas|un gorila|los gorilas
a flamingo|flamingos|un flamenco|los flamencos
a hedgehog|hedgehogs|un erizo|los erizos
a crab|crabs|un cangrejo|los cangrejos
a squirrel|squirrels|una ardilla|las ardillas
a camel|camels|un camello|los camellos
a rabbit|rabbits|un conejo|los conejos
an octopus|octopuses|un pulpo|los pulpos
a koala|koalas|un koala|los koalas
`;
export const ANIMAL_FRAMES_EN = ["Which is bigger, {a} or {b}?", "Tell me something fun about {ap}.", "What do {ap} eat?", "How long do {ap} live?", "Are {ap} dangerous?", "Who would win, {a} or {b}?", "Why do {ap} sleep so much?", "Can I keep {a} as a pet?", "Where do {ap} live?", "Draw me a word picture of {a}."];
export const ANIMAL_FRAMES_ES = ["¿Qué es más grande, {a} o {b}?", "Cuéntame algo divertido sobre {ap}.", "¿Qué comen {ap}?", "¿Cuántos años viven {ap}?", "¿Son peligrosos {ap}?", "¿Quién ganaría, {a} o {b}?", "¿Por qué duermen tanto {ap}?", "¿Puedo tener {a} de mascota?", "¿Dónde viven {ap}?", "Descríbeme {a}."];

/** Foods and dishes: "English|Spanish". */
export const FOODS = `
lasagna|lasaña
paella|paella
gazpacho|gazpacho
tortilla de patatas|tortilla de patatas
banana bread|bizcocho de plátano
chocolate chip cookies|galletas con pepitas de chocolate
a Caesar salad|una ensalada César
homemade pizza|pizza casera
sushi rice|arroz para sushi
roast chicken|pollo asado
chili con carne|chili con carne
hummus|hummus
a carrot cake|una tarta de zanahoria
french toast|torrijas
ceviche|ceviche
empanadas|empanadas
ramen|ramen
a vegan curry|un curry vegano
mashed potatoes|puré de patatas
lemonade|limonada
churros|churros
a cheesecake|una tarta de queso
fried rice|arroz frito
meatballs|albóndigas
pesto|pesto
flan|flan
tacos al pastor|tacos al pastor
a smoothie|un batido
croquettes|croquetas
apple pie|tarta de manzana
`;
export const FOOD_FRAMES_EN = ["How do I make {f}?", "Give me a recipe for {f}.", "What goes well with {f}?", "How long does {f} keep in the fridge?", "Can I freeze {f}?", "What's the secret to perfect {f}?", "Is {f} healthy?", "I want to cook {f} for six people. What do I need?"];
export const FOOD_FRAMES_ES = ["¿Cómo hago {f}?", "Dame una receta de {f}.", "¿Qué acompaña bien a {f}?", "¿Cuánto dura {f} en la nevera?", "¿Se puede congelar {f}?", "¿Cuál es el secreto de {f} perfecto?", "¿Es sano comer {f}?", "Quiero cocinar {f} para seis personas. ¿Qué necesito?"];

/** Places: "English|Spanish". */
export const PLACES = `
Seville|Sevilla
Lisbon|Lisboa
Mexico City|Ciudad de México
Cusco|Cuzco
Kyoto|Kioto
New York|Nueva York
the Canary Islands|las islas Canarias
Patagonia|la Patagonia
Cartagena|Cartagena de Indias
Marrakesh|Marrakech
the Scottish Highlands|las Tierras Altas de Escocia
Buenos Aires|Buenos Aires
Granada|Granada
Bali|Bali
Prague|Praga
Valencia|Valencia
Havana|La Habana
Oaxaca|Oaxaca
Iceland|Islandia
the Amalfi Coast|la costa amalfitana
Santiago de Chile|Santiago de Chile
the Basque Country|el País Vasco
Costa Rica|Costa Rica
Vienna|Viena
`;
export const PLACE_FRAMES_EN = ["What can I do in {p} on a Sunday?", "Plan a weekend in {p}.", "What should I eat in {p}?", "When is the best time to visit {p}?", "Is {p} safe for tourists?", "What's the weather like in {p} in October?", "What are the must-see sights in {p}?", "How many days do I need in {p}?", "What's the capital of the region where {p} is?", "Tell me about the history of {p}."];
export const PLACE_FRAMES_ES = ["¿Qué puedo hacer en {p} un sábado?", "Planifica un fin de semana en {p}.", "¿Qué debo comer en {p}?", "¿Cuál es la mejor época para visitar {p}?", "¿Es {p} seguro para turistas?", "¿Qué tiempo hace en {p} en octubre?", "¿Qué es imprescindible ver en {p}?", "¿Cuántos días necesito en {p}?", "¿Qué hay que saber antes de viajar a {p}?", "Háblame de la historia de {p}."];

/** People: "English|Spanish". */
export const PEOPLE = `
Cleopatra|Cleopatra
Napoleon|Napoleón
Leonardo da Vinci|Leonardo da Vinci
Marie Curie|Marie Curie
Pablo Picasso|Pablo Picasso
Shakira|Shakira
Lionel Messi|Lionel Messi
Rafael Nadal|Rafael Nadal
Julius Caesar|Julio César
Joan of Arc|Juana de Arco
Mozart|Mozart
Charles Darwin|Charles Darwin
Isabel Allende|Isabel Allende
Pablo Neruda|Pablo Neruda
Christopher Columbus|Cristóbal Colón
Queen Elizabeth II|la reina Isabel II
Nelson Mandela|Nelson Mandela
Salvador Dalí|Salvador Dalí
Serena Williams|Serena Williams
Michael Jordan|Michael Jordan
Jane Austen|Jane Austen
Gandhi|Gandhi
`;
export const PEOPLE_FRAMES_EN = ["Who was {n}?", "Who is {n}?", "Tell me about {n}.", "What is {n} famous for?", "Give me three fun facts about {n}.", "Write a short biography of {n}.", "How old was {n} when they became famous?", "What would {n} think of social media?"];
export const PEOPLE_FRAMES_ES = ["¿Quién fue {n}?", "¿Quién es {n}?", "Háblame de {n}.", "¿Por qué es famoso {n}?", "Dame tres datos curiosos sobre {n}.", "Escribe una biografía corta de {n}.", "¿Qué edad tenía {n} cuando se hizo famoso?", "¿Qué pensaría {n} de las redes sociales?"];

/** Sports and hobbies: "English|Spanish". */
export const HOBBIES = `
tennis|el tenis
padel|el pádel
golf|el golf
chess|el ajedrez
knitting|el punto
photography|la fotografía
surfing|el surf
rock climbing|la escalada
salsa dancing|bailar salsa
birdwatching|observar aves
gardening|la jardinería
painting with watercolors|pintar con acuarelas
playing the piano|tocar el piano
skiing|el esquí
yoga|el yoga
fishing|la pesca
baking bread|hacer pan
volleyball|el voleibol
swimming|la natación
cycling|el ciclismo
`;
export const HOBBY_FRAMES_EN = ["How do I get started with {h}?", "What are the rules of {h}?", "Is {h} good exercise?", "What equipment do I need for {h}?", "Give me a beginner plan for {h}.", "Why do people love {h}?", "Who is the best at {h} right now?"];
export const HOBBY_FRAMES_ES = ["¿Cómo empiezo con {h}?", "¿Cuáles son las reglas de {h}?", "¿Es {h} buen ejercicio?", "¿Qué equipo necesito para {h}?", "Dame un plan de principiante para {h}.", "¿Por qué a la gente le encanta {h}?", "¿Quién es el mejor en {h} ahora mismo?"];

/** Networking, hardware and science terms that fill technical frames: "English|Spanish". */
export const TECH_TERMS = `
SMTP|SMTP
IMAP|IMAP
SSH|SSH
MQTT|MQTT
Zigbee|Zigbee
LoRaWAN|LoRaWAN
Bluetooth Low Energy|Bluetooth de bajo consumo
NFC|NFC
RFID|RFID
Power over Ethernet|Power over Ethernet
SNMP|SNMP
NTP time synchronization|la sincronización horaria con NTP
ICMP|ICMP
OSPF|OSPF
MPLS|MPLS
VXLAN|VXLAN
WebRTC|WebRTC
a reverse proxy|un proxy inverso
a forward proxy|un proxy directo
an API gateway|una pasarela de API
a network switch|un switch de red
a modem|un módem
a NIC|una tarjeta de red
a heatsink|un disipador
a power supply unit|una fuente de alimentación
a motherboard chipset|el chipset de la placa base
HBM memory|la memoria HBM
NVMe|NVMe
a RAID controller|una controladora RAID
a UPS|un SAI
an oscilloscope|un osciloscopio
a multimeter|un multímetro
a diode|un diodo
a relay|un relé
a crystal oscillator|un oscilador de cristal
a stepper motor|un motor paso a paso
a strain gauge|una galga extensométrica
a thermocouple|un termopar
a gyroscope|un giroscopio
an accelerometer|un acelerómetro
a spectrometer|un espectrómetro
a particle accelerator|un acelerador de partículas
dark matter|la materia oscura
the Higgs boson|el bosón de Higgs
a neutron star|una estrella de neutrones
angular momentum|el momento angular
torque|el par motor
resonance|la resonancia
electrolysis|la electrólisis
an enzyme|una enzima
a polymer|un polímero
a neural network layer|una capa de una red neuronal
a loss function|una función de pérdida
a learning rate schedule|un programa de tasa de aprendizaje
an embedding space|un espacio de embeddings
a transformer block|un bloque transformer
a vector clock|un reloj vectorial
a Merkle tree|un árbol de Merkle
a CRDT|un CRDT
a write-back cache|una caché write-back
a TLB miss|un fallo de TLB
an inode|un inodo
a zombie process|un proceso zombi
a kernel module|un módulo del kernel
swap space|el espacio de intercambio
a content-addressable memory|una memoria direccionable por contenido
a load-store architecture|una arquitectura load-store
the memory wall|el muro de la memoria
Moore's law|la ley de Moore
Amdahl's law|la ley de Amdahl
Little's law|la ley de Little
queueing theory|la teoría de colas
`;

/** Things to recommend: "English|Spanish". */
export const MEDIA = `
a film|una película
a movie for tonight|una peli para esta noche
a TV series|una serie
a documentary|un documental
a novel|una novela
a book|un libro
a comic|un cómic
an album|un disco
a song|una canción
a podcast|un pódcast
a video game|un videojuego
a board game|un juego de mesa
a restaurant|un restaurante
a museum|un museo
an anime|un anime
a musical|un musical
`;
/** Qualifiers for recommendations: "English|Spanish". */
export const MEDIA_QUALIFIERS = `
by Pedro Almodóvar|de Pedro Almodóvar
by Stephen King|de Stephen King
by Taylor Swift|de Taylor Swift
by Studio Ghibli|de Studio Ghibli
about the Second World War|sobre la Segunda Guerra Mundial
about friendship|sobre la amistad
about space travel|sobre viajes espaciales
for a rainy day|para un día de lluvia
for my teenage son|para mi hijo adolescente
for a family evening|para una noche en familia
similar to Friends|parecida a Friends
similar to The Godfather|parecida a El padrino
set in Japan|ambientada en Japón
that will make me laugh|que me haga reír
that will make me cry|que me haga llorar
in the style of Agatha Christie|al estilo de Agatha Christie
with a strong female lead|con una protagonista fuerte
`;
export const MEDIA_FRAMES_EN = ["Recommend {m} {q}.", "Can you suggest {m} {q}?", "I'm looking for {m} {q}.", "What's {m} {q} I should try?", "Give me a list of five: {m} {q}."];
export const MEDIA_FRAMES_ES = ["Recomiéndame {m} {q}.", "¿Me sugieres {m} {q}?", "Busco {m} {q}.", "¿Qué {m} {q} me recomiendas?", "Dame una lista de cinco: {m} {q}."];
