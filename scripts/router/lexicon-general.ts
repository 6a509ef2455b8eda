/**
 * General requests (everyday life, culture, trivia, creative writing, advice, small talk), as
 * "English|Spanish" pairs, with frames shared with the technical class so that frames alone do
 * not give the class away.
 */

/** Things people ask "how do I ..." about: "English|Spanish" (infinitive-like). */
export const LIFE_HOWTO = `
get red wine out of a carpet|quitar una mancha de vino tinto de la alfombra
fall asleep faster|dormirme más rápido
make my plants grow better|hacer que mis plantas crezcan mejor
save money for a trip|ahorrar para un viaje
ask my boss for a raise|pedirle un aumento a mi jefe
make friends in a new city|hacer amigos en una ciudad nueva
train my dog to sit|enseñar a mi perro a sentarse
cook rice without it sticking|cocinar arroz sin que se pegue
tie a tie|hacer el nudo de la corbata
stop procrastinating|dejar de procrastinar
prepare for a job interview|prepararme para una entrevista de trabajo
pack a suitcase efficiently|hacer la maleta de forma eficiente
start running as a beginner|empezar a correr siendo principiante
learn to play the guitar|aprender a tocar la guitarra
keep cut flowers fresh longer|mantener las flores cortadas frescas más tiempo
clean a cast iron pan|limpiar una sartén de hierro fundido
write a good cover letter|escribir una buena carta de presentación
deal with a noisy neighbour|lidiar con un vecino ruidoso
get over jet lag|superar el jet lag
remove a splinter|quitar una astilla
fold a fitted sheet|doblar una sábana bajera
make my apartment feel cosier|hacer que mi piso sea más acogedor
plan a surprise party|organizar una fiesta sorpresa
motivate myself to exercise|motivarme para hacer ejercicio
talk to my kids about money|hablar de dinero con mis hijos
choose a good watermelon|elegir una buena sandía
politely decline an invitation|rechazar una invitación con educación
organize my closet|organizar mi armario
get rid of fruit flies|deshacerme de las moscas de la fruta
keep a conversation going on a first date|mantener una conversación en una primera cita
make a budget for the month|hacer un presupuesto mensual
grow tomatoes on a balcony|cultivar tomates en el balcón
improve my handwriting|mejorar mi letra
make cold brew coffee|preparar café cold brew
keep my cat off the kitchen counter|evitar que mi gato se suba a la encimera
prepare for a marathon|prepararme para un maratón
apologize to a friend|pedir perdón a un amigo
`;

/** Topics for "tell me about / explain / what is": "English|Spanish". */
export const CULTURE_TOPICS = `
the history of the Roman Empire|la historia del Imperio romano
the French Revolution|la Revolución francesa
the rules of cricket|las reglas del críquet
the offside rule in football|la regla del fuera de juego en el fútbol
the life of Frida Kahlo|la vida de Frida Kahlo
the Renaissance|el Renacimiento
the origins of Halloween|el origen de Halloween
the Day of the Dead|el Día de Muertos
the Great Wall of China|la Gran Muralla china
the Olympic Games|los Juegos Olímpicos
the plot of Hamlet|el argumento de Hamlet
the meaning of the Mona Lisa's smile|el significado de la sonrisa de la Mona Lisa
the Inca Empire|el Imperio inca
the Cold War|la Guerra Fría
the Spanish Civil War|la Guerra Civil española
the Beatles|los Beatles
jazz music|la música jazz
flamenco|el flamenco
the tango|el tango
the Tour de France|el Tour de Francia
the World Cup|el Mundial de fútbol
chess openings for beginners|las aperturas de ajedrez para principiantes
the migration of monarch butterflies|la migración de las mariposas monarca
how bees make honey|cómo hacen miel las abejas
why cats purr|por qué ronronean los gatos
the Amazon rainforest|la selva amazónica
the pyramids of Egypt|las pirámides de Egipto
Greek mythology|la mitología griega
the Vikings|los vikingos
the Maya calendar|el calendario maya
impressionist painting|la pintura impresionista
the Harry Potter books|los libros de Harry Potter
the Oscars|los Óscar
stoic philosophy|la filosofía estoica
meditation|la meditación
the Mediterranean diet|la dieta mediterránea
compound interest|el interés compuesto
how a mortgage works|cómo funciona una hipoteca
the electoral college|el colegio electoral
the Nobel Prize|el Premio Nobel
the Camino de Santiago|el Camino de Santiago
the Galápagos Islands|las islas Galápagos
the Northern Lights|la aurora boreal
dinosaurs|los dinosaurios
the life of Cervantes|la vida de Cervantes
Gabriel García Márquez|Gabriel García Márquez
the Alhambra|la Alhambra
the Tomatina festival|la Tomatina
Real Madrid's history|la historia del Real Madrid
the NBA playoffs|los playoffs de la NBA
`;

/** Complete questions and requests: "English|Spanish". */
export const GENERAL_QUESTIONS = `
What's the capital of Australia?|¿Cuál es la capital de Australia?
Who painted The Starry Night?|¿Quién pintó La noche estrellada?
How many players are on a rugby team?|¿Cuántos jugadores tiene un equipo de rugby?
When did the Berlin Wall fall?|¿Cuándo cayó el muro de Berlín?
Who was the first woman to win a Nobel Prize?|¿Quién fue la primera mujer en ganar un Nobel?
What's the tallest mountain in South America?|¿Cuál es la montaña más alta de Sudamérica?
How long do elephants live?|¿Cuántos años vive un elefante?
What do koalas eat?|¿Qué comen los koalas?
Which country has the most islands?|¿Qué país tiene más islas?
Is a tomato a fruit or a vegetable?|¿El tomate es una fruta o una verdura?
How many hours should a teenager sleep?|¿Cuántas horas debe dormir un adolescente?
What should I pack for a week in Iceland?|¿Qué debo llevar para una semana en Islandia?
What's a good name for a golden retriever?|¿Qué nombre le pongo a un golden retriever?
What time zone is Mexico City in?|¿En qué huso horario está Ciudad de México?
Who won the 2010 World Cup?|¿Quién ganó el Mundial de 2010?
How many calories are in a banana?|¿Cuántas calorías tiene un plátano?
What's the best season to visit Japan?|¿Cuál es la mejor época para visitar Japón?
What are some good board games for four people?|¿Qué juegos de mesa hay buenos para cuatro personas?
Is it rude to be late to a dinner party?|¿Es de mala educación llegar tarde a una cena?
What's the difference between a crocodile and an alligator?|¿Qué diferencia hay entre un cocodrilo y un caimán?
What's the difference between baking soda and baking powder?|¿Qué diferencia hay entre el bicarbonato y la levadura química?
Should I rent or buy an apartment?|¿Me conviene alquilar o comprar un piso?
How much should I tip in a restaurant in the US?|¿Cuánta propina se deja en un restaurante en Estados Unidos?
What's a nice gift for my grandmother's 80th birthday?|¿Qué le regalo a mi abuela por su 80 cumpleaños?
How can I be more confident when speaking in public?|¿Cómo puedo tener más seguridad al hablar en público?
My friend is sad after a breakup, how can I help?|Mi amiga está triste tras una ruptura, ¿cómo la ayudo?
I can't decide between two job offers, any advice?|No sé qué oferta de trabajo elegir, ¿algún consejo?
What should I cook tonight with chicken and spinach?|¿Qué cocino esta noche con pollo y espinacas?
How long should I boil an egg for a runny yolk?|¿Cuánto tiempo cuezo un huevo para que la yema quede líquida?
Give me a recipe for lentil soup.|Dame una receta de sopa de lentejas.
How do you make guacamole?|¿Cómo se hace el guacamole?
What's a good vegetarian lasagna recipe?|¿Tienes una buena receta de lasaña vegetariana?
Plan a three-day trip to Lisbon.|Planifica un viaje de tres días a Lisboa.
What can I do in Buenos Aires with kids?|¿Qué puedo hacer en Buenos Aires con niños?
Suggest a weekend itinerary for Barcelona.|Sugiere un itinerario de fin de semana por Barcelona.
Recommend a novel for a long flight.|Recomiéndame una novela para un vuelo largo.
Recommend some movies like Amélie.|Recomiéndame películas parecidas a Amélie.
What are good podcasts about true crime?|¿Qué podcasts de true crime me recomiendas?
Suggest a name for my bakery.|Sugiere un nombre para mi panadería.
Write a short poem about autumn.|Escribe un poema corto sobre el otoño.
Write a haiku about the sea.|Escribe un haiku sobre el mar.
Write a birthday message for my sister.|Escribe un mensaje de cumpleaños para mi hermana.
Write a bedtime story about a brave little turtle.|Escribe un cuento para dormir sobre una tortuga valiente.
Write a toast for my best friend's wedding.|Escribe un brindis para la boda de mi mejor amigo.
Write a funny tweet about Mondays.|Escribe un tuit gracioso sobre los lunes.
Write a thank-you note for a job interview.|Escribe una nota de agradecimiento tras una entrevista.
Write a short story about a lighthouse keeper.|Escribe un relato corto sobre un farero.
Write song lyrics about summer love.|Escribe la letra de una canción sobre un amor de verano.
Help me write a complaint letter to my landlord.|Ayúdame a escribir una queja a mi casero.
Write a polite email asking to reschedule a meeting.|Escribe un correo educado para cambiar una reunión de fecha.
Tell me a joke about cats.|Cuéntame un chiste de gatos.
Tell me a fun fact about octopuses.|Cuéntame un dato curioso sobre los pulpos.
Give me a riddle.|Ponme una adivinanza.
Let's play twenty questions.|Juguemos a las veinte preguntas.
I'm bored, what should I do?|Estoy aburrido, ¿qué hago?
I feel stressed about exams.|Estoy estresado por los exámenes.
Can you motivate me to study?|¿Me motivas para estudiar?
What's the meaning of life?|¿Cuál es el sentido de la vida?
Do you like music?|¿Te gusta la música?
What's your favourite colour?|¿Cuál es tu color favorito?
Summarize the plot of The Lord of the Rings.|Resume el argumento de El señor de los anillos.
Who is the best tennis player of all time?|¿Quién es el mejor tenista de la historia?
How does a marathon work?|¿Cómo funciona un maratón?
How does the Champions League work?|¿Cómo funciona la Champions League?
What is a good morning routine?|¿Qué es una buena rutina de mañana?
What is hygge?|¿Qué es el hygge?
What is a sourdough starter?|¿Qué es la masa madre?
Explain the rules of poker.|Explica las reglas del póker.
Explain why people celebrate New Year's Eve.|Explica por qué se celebra la Nochevieja.
What's a polite way to say no to my mother-in-law?|¿Cómo le digo que no a mi suegra con educación?
Help me choose a name for my cat.|Ayúdame a elegir un nombre para mi gato.
Make a shopping list for a barbecue.|Haz una lista de la compra para una barbacoa.
Make a weekly workout plan for beginners.|Haz un plan semanal de ejercicio para principiantes.
Create a study schedule for my finals.|Crea un horario de estudio para mis finales.
`;

/** Greetings and small talk: "English|Spanish". */
export const SMALL_TALK = `
Hi!|¡Hola!
Hello there|Hola, ¿qué tal?
Hey, how's it going?|Oye, ¿cómo va todo?
Good morning!|¡Buenos días!
Good afternoon|Buenas tardes
Good evening|Buenas noches
How are you?|¿Cómo estás?
How are you today?|¿Cómo estás hoy?
What's up?|¿Qué pasa?
Nice to meet you|Encantado de conocerte
Thanks!|¡Gracias!
Thank you so much|Muchísimas gracias
Bye!|¡Adiós!
See you later|Hasta luego
Who are you?|¿Quién eres?
What can you do?|¿Qué sabes hacer?
Are you a robot?|¿Eres un robot?
I'm tired today|Hoy estoy cansado
It's my birthday today!|¡Hoy es mi cumpleaños!
Have a great weekend|Que tengas un buen fin de semana
Happy new year!|¡Feliz año nuevo!
Cheers, that helped|Genial, me ha servido
ok|vale
lol|jaja
yes please|sí, por favor
no thanks|no, gracias
Good job|Buen trabajo
Tell me something interesting|Cuéntame algo interesante
`;

/** Fillers people send a chatbot: tests, laughter, acknowledgements, emoji (both languages). */
export const FILLERS = ["test", "testing", "123", "k", "np", "thx", "ty", "xD", ":)", "👍", "?", "???", "hmm", "lol", "jaja", "ok!", "vale", "sí", "no", "ya", "perfecto", "great", "nice", "cool", "asdf", "hello?", "¿hola?", "are you there?", "¿estás ahí?"];

/** Creative forms and subjects: "English|Spanish". */
export const CREATIVE_FORMS = `
a poem|un poema
a limerick|un poema humorístico
a short story|un relato corto
a sonnet|un soneto
a fable|una fábula
a song|una canción
a speech|un discurso
a postcard message|un mensaje de postal
a riddle|una adivinanza
a tongue twister|un trabalenguas
`;
export const CREATIVE_SUBJECTS = `
a lonely robot on the moon|un robot solitario en la luna
my grumpy cat|mi gato gruñón
the first day of spring|el primer día de primavera
a pirate who is afraid of water|un pirata que tiene miedo al agua
coffee on a rainy morning|el café en una mañana lluviosa
friendship|la amistad
my hometown|mi pueblo
a dragon who loves baking|un dragón al que le encanta hornear
the last day of school|el último día de colegio
a road trip across Mexico|un viaje por carretera por México
grandparents|los abuelos
a football final|una final de fútbol
`;

/** Frames for general topics: `{t}`. */
export const GENERAL_FRAMES_EN = [
  "Tell me about {t}.", "Explain {t}.", "What do you know about {t}?", "Can you explain {t} briefly?", "Give me a summary of {t}.",
  "I'm curious about {t}.", "What's interesting about {t}?", "Describe {t}.", "Teach me about {t}.", "Give me three facts about {t}.",
];
export const GENERAL_FRAMES_ES = [
  "Háblame de {t}.", "Explica {t}.", "¿Qué sabes de {t}?", "¿Me explicas {t} brevemente?", "Dame un resumen de {t}.",
  "Tengo curiosidad por {t}.", "¿Qué tiene de interesante {t}?", "Describe {t}.", "Enséñame sobre {t}.", "Dame tres datos sobre {t}.",
];
export const HOWTO_FRAMES_EN = ["How do I {h}?", "How can I {h}?", "What's the best way to {h}?", "Any tips to {h}?", "I want to {h}. Where do I start?", "Help me {h}.", "Is there an easy way to {h}?"];
export const HOWTO_FRAMES_ES = ["¿Cómo puedo {h}?", "¿Cuál es la mejor forma de {h}?", "¿Algún consejo para {h}?", "Quiero {h}. ¿Por dónde empiezo?", "Ayúdame a {h}.", "¿Hay una forma fácil de {h}?", "¿Qué hago para {h}?"];
export const CREATIVE_FRAMES_EN = ["Write {f} about {s}.", "Compose {f} about {s}.", "Can you write {f} about {s}?", "I need {f} about {s} for a party."];
export const CREATIVE_FRAMES_ES = ["Escribe {f} sobre {s}.", "Compón {f} sobre {s}.", "¿Puedes escribir {f} sobre {s}?", "Necesito {f} sobre {s} para una fiesta."];

/** Everyday comparisons, asked with the same frames as technical comparisons: "A|B|A_es|B_es". */
export const GENERAL_PAIRS = `
a crocodile|an alligator|un cocodrilo|un caimán
baking soda|baking powder|el bicarbonato|la levadura química
a hare|a rabbit|una liebre|un conejo
champagne|cava|el champán|el cava
a latte|a cappuccino|un café con leche|un capuchino
weather|climate|el tiempo|el clima
a novel|a short story|una novela|un cuento
the Renaissance|the Baroque|el Renacimiento|el Barroco
rugby|American football|el rugby|el fútbol americano
a violin|a viola|un violín|una viola
yoga|pilates|el yoga|el pilates
a cold|the flu|un resfriado|la gripe
butter|margarine|la mantequilla|la margarina
a lake|a lagoon|un lago|una laguna
a frog|a toad|una rana|un sapo
renting|buying a house|alquilar|comprar una casa
England|Great Britain|Inglaterra|Gran Bretaña
a museum|a gallery|un museo|una galería
a poem|a song|un poema|una canción
tapas|pintxos|las tapas|los pintxos
a dolphin|a porpoise|un delfín|una marsopa
jam|jelly|la mermelada|la jalea
`;

/** Everyday things whose workings people ask about ("how does X work?"): "English|Spanish". */
export const GENERAL_MECHANISMS = `
a mortgage|una hipoteca
the stock market|la bolsa
a credit score|el historial de crédito
the electoral college|el colegio electoral
the Champions League draw|el sorteo de la Champions
a tax return|la declaración de la renta
inflation|la inflación
a pension plan|un plan de pensiones
jury duty|ser jurado popular
the lottery|la lotería
composting|el compostaje
Eurovision voting|las votaciones de Eurovisión
daylight saving time|el cambio de hora
a French press|una cafetera de émbolo
frequent flyer miles|las millas de viajero frecuente
a tie-break in tennis|el tie-break en el tenis
scoring in bowling|la puntuación en los bolos
an auction|una subasta
adoption of a pet from a shelter|la adopción de una mascota en una protectora
a wedding registry|una lista de bodas
the Michelin guide|la guía Michelin
a book club|un club de lectura
the Spanish siesta|la siesta española
fantasy football|las ligas fantasy de fútbol
a gym membership|una cuota de gimnasio
`;

/** Things people want ideas, plans or suggestions for: "English|Spanish". */
export const IDEA_TOPICS = `
a rainy afternoon with kids|una tarde de lluvia con niños
a team-building activity|una actividad de team building
a birthday party theme|una temática para una fiesta de cumpleaños
a cheap date night|una cita barata
a gift for a coworker who is leaving|un regalo para un compañero que se va
a healthy lunchbox|una fiambrera sana
a weekend getaway near Madrid|una escapada de fin de semana cerca de Madrid
decorating a small balcony|decorar un balcón pequeño
a baby shower|un baby shower
a Halloween costume|un disfraz de Halloween
an anniversary surprise|una sorpresa de aniversario
a family reunion|una reunión familiar
Sunday brunch|un brunch de domingo
a first date conversation|temas de conversación para una primera cita
a bachelor party|una despedida de soltero
a picnic menu|un menú de picnic
New Year's resolutions|propósitos de año nuevo
a children's party game|un juego para una fiesta infantil
a quiet evening at home|una noche tranquila en casa
a podcast name|un nombre para un pódcast
`;

/** Occasions for short messages and cards: "English|Spanish". */
export const OCCASIONS = `
Christmas|Navidad
a birthday|un cumpleaños
a wedding|una boda
a retirement|una jubilación
a graduation|una graduación
Mother's Day|el Día de la Madre
Father's Day|el Día del Padre
a condolence card|un pésame
New Year|Año Nuevo
Valentine's Day|San Valentín
a new baby|un nacimiento
a farewell|una despedida
a promotion|un ascenso
Easter|Semana Santa
`;

export const IDEA_FRAMES_EN = ["Give me ideas for {t}.", "Any ideas for {t}?", "I need suggestions for {t}.", "Help me plan {t}.", "Brainstorm some ideas for {t}.", "What could I do for {t}?"];
export const IDEA_FRAMES_ES = ["Dame ideas para {t}.", "¿Alguna idea para {t}?", "Necesito sugerencias para {t}.", "Ayúdame a planear {t}.", "Haz una lluvia de ideas para {t}.", "¿Qué puedo hacer para {t}?"];
export const OCCASION_FRAMES_EN = ["Write a short message for {t}.", "Write a card for {t}.", "I need a warm greeting for {t}.", "Write a funny message for {t}.", "Compose a short note for {t}."];
export const OCCASION_FRAMES_ES = ["Escribe un mensaje corto para {t}.", "Escribe una tarjeta para {t}.", "Necesito una felicitación cariñosa para {t}.", "Escribe un mensaje gracioso para {t}.", "Redacta una nota breve para {t}."];
export const MECHANISM_FRAMES_EN = ["How does {t} work?", "What is {t}?", "Explain {t}.", "Can you explain how {t} works?", "What should I know about {t}?", "Describe {t}."];
export const MECHANISM_FRAMES_ES = ["¿Cómo funciona {t}?", "¿Qué es {t}?", "Explica {t}.", "¿Me explicas cómo funciona {t}?", "¿Qué debo saber sobre {t}?", "Describe {t}."];

/** Questions about English usage, asked in English (general, not translation). */
export const USAGE_EN = `
What's the difference between 'affect' and 'effect'?
Is it 'who' or 'whom' in this sentence?
How do you spell 'necessary'?
When should I use a semicolon?
Is 'irregardless' a real word?
What's a more polite way to say 'I disagree'?
How do I say 'no' politely to my boss?
What's another word for 'happy'?
Is it correct to say 'between you and I'?
What does the idiom 'break a leg' mean?
How do you pronounce 'quinoa'?
What's the plural of 'octopus'?
Which is correct: 'fewer' or 'less' people?
Can you check my grammar: 'Me and him went to the store'?
What does 'bittersweet' mean?
How do I write a date formally in a letter?
`;
/** Questions about Spanish usage, asked in Spanish (general, not translation). */
export const USAGE_ES = `
¿Se escribe 'haber' o 'a ver' en esta frase?
¿Cuál es el plural de 'menú'?
¿Cómo se dice correctamente, 'cocreta' o 'croqueta'?
¿Lleva tilde 'solo'?
¿Qué diferencia hay entre 'porque' y 'porqué'?
¿Es correcto decir 'habían muchas personas'?
¿Cómo se escribe, 'hecho' o 'echo'?
Dame un sinónimo de 'feliz'.
¿Qué significa la expresión 'estar en las nubes'?
¿Cómo se pronuncia bien 'murciélago'?
¿Cómo digo 'no' de forma educada a mi jefe?
¿Cómo se dice 'lo siento' de manera más formal?
Corrige la ortografía de esta frase: 'haber si vienes mañana'.
¿Es 'la calor' o 'el calor'?
¿Qué quiere decir 'ojalá'?
¿Cómo se escribe una fecha en una carta formal?
`;
