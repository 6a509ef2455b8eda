/**
 * Coding requests: languages, tasks, snippets and the frames that ask to write, fix, explain,
 * review, convert or test code, in English and Spanish ("English|Spanish" pairs).
 */

export const LANGS = [
  "Python", "JavaScript", "TypeScript", "Java", "C", "C++", "C#", "Go", "Rust", "Kotlin", "Swift", "Ruby",
  "PHP", "Scala", "Haskell", "Elixir", "Lua", "R", "Julia", "Dart", "Perl", "Bash", "PowerShell", "Zig", "OCaml", "F#",
];

/** Function tasks: "English|Spanish" (both complete a sentence "... that <task>"). */
export const CODE_TASKS = `
reverses a string|invierta una cadena
checks if a number is prime|compruebe si un número es primo
returns the n-th Fibonacci number|devuelva el n-ésimo número de Fibonacci
removes duplicates from a list|elimine los duplicados de una lista
merges two sorted arrays|combine dos arrays ordenados
counts the words in a text file|cuente las palabras de un fichero de texto
parses a CSV file into objects|lea un CSV y lo convierta en objetos
validates an email address|valide una dirección de correo
flattens a nested list|aplane una lista anidada
computes the factorial of n|calcule el factorial de n
finds the longest common prefix of some strings|encuentre el prefijo común más largo de varias cadenas
converts Celsius to Fahrenheit|convierta grados Celsius a Fahrenheit
groups a list of records by a key|agrupe una lista de registros por una clave
retries an HTTP request with exponential backoff|reintente una petición HTTP con backoff exponencial
debounces another function|haga debounce de otra función
reads a JSON config file and validates it|lea un fichero JSON de configuración y lo valide
downloads a file and shows progress|descargue un fichero mostrando el progreso
sums the even numbers in an array|sume los números pares de un array
finds the maximum value in a dictionary|encuentre el valor máximo de un diccionario
rotates a matrix 90 degrees|rote una matriz 90 grados
checks whether two strings are anagrams|compruebe si dos cadenas son anagramas
formats a date as YYYY-MM-DD|formatee una fecha como AAAA-MM-DD
generates a random password|genere una contraseña aleatoria
implements an LRU cache|implemente una caché LRU
splits a list into chunks of size n|divida una lista en trozos de tamaño n
computes the median of a list|calcule la mediana de una lista
converts a Roman numeral to an integer|convierta un número romano a entero
detects a cycle in a linked list|detecte un ciclo en una lista enlazada
serializes a binary tree|serialice un árbol binario
calls a REST API and prints the result|llame a una API REST e imprima el resultado
watches a directory for changes|vigile un directorio y detecte cambios
sorts a list of tuples by the second element|ordene una lista de tuplas por el segundo elemento
capitalizes every word in a sentence|ponga en mayúscula cada palabra de una frase
computes the Levenshtein distance|calcule la distancia de Levenshtein
paginates the results of a database query|pagine los resultados de una consulta
hashes a password with bcrypt|haga hash de una contraseña con bcrypt
uploads a file to S3|suba un fichero a S3
parses command-line arguments|lea los argumentos de la línea de comandos
runs tasks in parallel with a worker pool|ejecute tareas en paralelo con un pool de workers
`;

export const ALGOS = `
quicksort|quicksort
merge sort|el merge sort
binary search|la búsqueda binaria
Dijkstra's algorithm|el algoritmo de Dijkstra
a trie|un trie
a min-heap|un min-heap
breadth-first search|la búsqueda en anchura
depth-first search on a graph|la búsqueda en profundidad en un grafo
a linked list|una lista enlazada
a stack with push and pop|una pila con push y pop
a binary search tree|un árbol binario de búsqueda
the knapsack problem with dynamic programming|el problema de la mochila con programación dinámica
topological sort|la ordenación topológica
a thread-safe queue|una cola segura para hilos
an event emitter|un emisor de eventos
a rate limiter with a token bucket|un limitador de tasa con token bucket
a simple HTTP server|un servidor HTTP sencillo
a tic-tac-toe game|un juego de tres en raya
Conway's game of life|el juego de la vida de Conway
a matrix multiplication function|una función de multiplicación de matrices
`;

/** How-to questions that need code: "English|Spanish" (complete "How do I ..." / "¿Cómo ..."). */
export const CODE_HOWTO = `
read a file line by line|leo un fichero línea a línea
sort a dictionary by value|ordeno un diccionario por valor
make an HTTP POST request|hago una petición HTTP POST
convert a string to an integer|convierto una cadena en entero
handle exceptions properly|manejo bien las excepciones
create a class with a constructor|creo una clase con constructor
iterate over a map|recorro un mapa
concatenate two arrays|concateno dos arrays
get the current timestamp|obtengo la marca de tiempo actual
write unit tests with mocks|escribo tests unitarios con mocks
connect to a PostgreSQL database|me conecto a una base de datos PostgreSQL
parse JSON|parseo JSON
use async/await with a loop|uso async/await dentro de un bucle
remove an element from an array by index|elimino un elemento de un array por índice
reverse a linked list|invierto una lista enlazada
deep copy an object|hago una copia profunda de un objeto
define an enum|defino un enum
read environment variables|leo variables de entorno
spawn a child process|lanzo un proceso hijo
format a float with two decimals|formateo un float con dos decimales
check if a key exists in a dictionary|compruebo si existe una clave en un diccionario
declare a generic function|declaro una función genérica
implement an interface|implemento una interfaz
serialize an object to JSON|serializo un objeto a JSON
run a function every five seconds|ejecuto una función cada cinco segundos
`;

export const SQL_TASKS = `
returns the top 5 customers by total spend|devuelva los 5 clientes que más han gastado
joins orders with customers and shows the order date|una pedidos con clientes y muestre la fecha del pedido
finds duplicate emails in the users table|encuentre emails duplicados en la tabla de usuarios
computes monthly revenue for 2023|calcule los ingresos mensuales de 2023
deletes rows older than 30 days|borre las filas de hace más de 30 días
lists employees who earn more than their manager|liste los empleados que ganan más que su jefe
counts products per category|cuente productos por categoría
finds the second highest salary|encuentre el segundo salario más alto
creates a table for blog posts with an index on the author|cree una tabla de posts con un índice por autor
updates the stock after an order|actualice el stock después de un pedido
`;

export const REGEX_TARGETS = `
phone numbers like +34 600 123 456|teléfonos como +34 600 123 456
valid IPv4 addresses|direcciones IPv4 válidas
hex colors like #ff00aa|colores hexadecimales como #ff00aa
URLs that start with https|URLs que empiecen por https
words that start with a capital letter|palabras que empiecen por mayúscula
Spanish postal codes|códigos postales españoles
email addresses|direcciones de correo
dates in DD/MM/YYYY format|fechas en formato DD/MM/AAAA
strings with only letters and digits|cadenas con solo letras y dígitos
`;

export const SHELL_TASKS = `
find all files larger than 100 MB|encontrar todos los ficheros de más de 100 MB
rename every .jpeg file to .jpg|renombrar todos los .jpeg a .jpg
kill the process listening on port 3000|matar el proceso que escucha en el puerto 3000
count the lines of code in a repository|contar las líneas de código de un repositorio
compress a folder into a tar.gz|comprimir una carpeta en un tar.gz
show the ten biggest directories|mostrar los diez directorios más grandes
replace a string in all files recursively|reemplazar un texto en todos los ficheros de forma recursiva
back up a database every night with cron|hacer copia de una base de datos cada noche con cron
list git branches merged into main|listar las ramas de git fusionadas en main
undo the last git commit but keep the changes|deshacer el último commit de git sin perder los cambios
`;

export const CONFIG_TASKS = `
Write a Dockerfile for a Node.js app|Escribe un Dockerfile para una app de Node.js
Write a multi-stage Dockerfile for a Go service|Crea un Dockerfile multi-etapa para un servicio en Go
Write a docker-compose.yml with Postgres and Redis|Escribe un docker-compose.yml con Postgres y Redis
Write a Makefile that builds and tests a C project|Escribe un Makefile que compile y pruebe un proyecto en C
Write a GitHub Actions workflow that runs the tests on every push|Crea un workflow de GitHub Actions que ejecute los tests en cada push
Write a GitLab CI pipeline that builds a Docker image|Escribe un pipeline de GitLab CI que construya una imagen Docker
Write a Kubernetes deployment manifest for a web app|Escribe un manifiesto de deployment de Kubernetes para una web
Write an nginx config that proxies /api to port 8080|Escribe una configuración de nginx que redirija /api al puerto 8080
Write a Terraform file that creates an S3 bucket|Escribe un fichero Terraform que cree un bucket S3
Write a systemd unit file for my Python service|Escribe un fichero de unidad systemd para mi servicio en Python
Write a .gitignore for a Python project|Escribe un .gitignore para un proyecto Python
Write a tsconfig.json for a strict Node library|Escribe un tsconfig.json estricto para una librería de Node
Write a bash script that backs up my home folder|Escribe un script de bash que haga copia de mi carpeta personal
Write an Ansible playbook that installs nginx|Escribe un playbook de Ansible que instale nginx
`;

/** Language-feature questions, which ask to explain code: "English|Spanish". */
export const CODE_FEATURES = `
What does the yield keyword do in Python?|¿Qué hace la palabra clave yield en Python?
What is the difference between let and var in JavaScript?|¿Qué diferencia hay entre let y var en JavaScript?
How do lifetimes work in Rust functions?|¿Cómo funcionan los lifetimes en las funciones de Rust?
What does the static keyword mean in Java?|¿Qué significa la palabra static en Java?
When should I use useEffect in React?|¿Cuándo debo usar useEffect en React?
How do goroutines and channels work in Go code?|¿Cómo se usan las goroutines y los canales en Go?
What does \`git rebase --onto\` do?|¿Qué hace \`git rebase --onto\`?
What does \`chmod 755\` do?|¿Qué hace \`chmod 755\`?
How do decorators work in Python?|¿Cómo funcionan los decoradores en Python?
What does \`npm ci\` do differently from \`npm install\`?|¿Qué hace \`npm ci\` distinto de \`npm install\`?
How do I use list comprehensions in Python?|¿Cómo uso las list comprehensions en Python?
What's the difference between == and === in JavaScript?|¿Qué diferencia hay entre == y === en JavaScript?
How do generics work in TypeScript?|¿Cómo funcionan los genéricos en TypeScript?
What does the ? operator do in Rust?|¿Qué hace el operador ? en Rust?
How do I use Promise.all?|¿Cómo uso Promise.all?
What does \`docker run -p 8080:80\` mean?|¿Qué significa \`docker run -p 8080:80\`?
What does \`SELECT DISTINCT\` do in SQL?|¿Qué hace \`SELECT DISTINCT\` en SQL?
How do I use pandas groupby?|¿Cómo uso groupby de pandas?
What is a pointer in C?|¿Qué es un puntero en C?
How do references differ from pointers in C++?|¿En qué se diferencian las referencias de los punteros en C++?
What is a closure in JavaScript?|¿Qué es un closure en JavaScript?
What is the difference between an interface and an abstract class in Java?|¿Qué diferencia hay entre una interfaz y una clase abstracta en Java?
What are Python's *args and **kwargs?|¿Qué son *args y **kwargs en Python?
How does the borrow checker work in Rust code?|¿Cómo funciona el borrow checker al escribir Rust?
What does async/await do in C#?|¿Qué hace async/await en C#?
What are slices in Go?|¿Qué son los slices en Go?
What is a lambda function in Python?|¿Qué es una función lambda en Python?
What does the this keyword refer to in JavaScript?|¿A qué se refiere this en JavaScript?
What is a struct in C?|¿Qué es un struct en C?
How do I use optional chaining in TypeScript?|¿Cómo uso el encadenamiento opcional en TypeScript?
What is a virtual function in C++?|¿Qué es una función virtual en C++?
How do Python dictionaries keep insertion order?|¿Cómo mantienen el orden los diccionarios de Python?
What are React props?|¿Qué son las props en React?
What does \`git cherry-pick\` do?|¿Qué hace \`git cherry-pick\`?
`;

export const FRAMEWORK_TASKS = `
an Express route that returns a list of users as JSON|una ruta de Express que devuelva una lista de usuarios en JSON
a React component that shows a counter with a button|un componente de React que muestre un contador con un botón
a Vue component for a login form|un componente de Vue para un formulario de login
a FastAPI endpoint that uploads a file|un endpoint de FastAPI que suba un fichero
a Django model for a blog post|un modelo de Django para un post de blog
a Flask app with a health check route|una app de Flask con una ruta de health check
a Spring Boot controller for products|un controlador de Spring Boot para productos
a Next.js API route that reads a cookie|una ruta de API de Next.js que lea una cookie
an Angular service that calls an API|un servicio de Angular que llame a una API
a Node.js CLI that reads stdin|un CLI de Node.js que lea de stdin
a pytest fixture for a temporary database|un fixture de pytest para una base de datos temporal
a Jest test for a function that formats prices|un test de Jest para una función que formatee precios
a JUnit test for a bank account class|un test de JUnit para una clase de cuenta bancaria
a Go HTTP handler that validates a JSON body|un handler HTTP en Go que valide un cuerpo JSON
a Rust struct with a builder pattern|un struct de Rust con patrón builder
a Pandas script that cleans a CSV|un script de Pandas que limpie un CSV
a PyTorch training loop for a small MLP|un bucle de entrenamiento de PyTorch para un MLP pequeño
a SwiftUI view with a list of items|una vista de SwiftUI con una lista de elementos
an Android activity in Kotlin with a button|una activity de Android en Kotlin con un botón
a WebSocket server in Node.js|un servidor WebSocket en Node.js
`;

/** Snippets: [language, code, what goes wrong (English|Spanish)]. */
export const SNIPPETS: ReadonlyArray<[string, string, string]> = [
  ["python", "def mean(xs):\n    return sum(xs) / len(xs)\n\nprint(mean([]))", "crashes|falla"],
  ["python", "for i in range(len(items)):\n    if items[i] == target:\n        items.remove(items[i])", "skips elements|se salta elementos"],
  ["python", "import requests\nr = requests.get(url)\ndata = r.json()['results']", "raises a KeyError|lanza un KeyError"],
  ["javascript", "const total = items.reduce((a, b) => a + b.price);\nconsole.log(total);", "prints [object Object]|imprime [object Object]"],
  ["javascript", "for (var i = 0; i < 3; i++) {\n  setTimeout(() => console.log(i), 100);\n}", "prints 3 three times|imprime 3 tres veces"],
  ["typescript", "function first<T>(xs: T[]): T {\n  return xs[0];\n}\nconst n: number = first([]);", "does not type-check|no compila"],
  ["java", "String s = null;\nif (s.equals(\"x\")) {\n  System.out.println(\"yes\");\n}", "throws a NullPointerException|lanza un NullPointerException"],
  ["c", "int *p = malloc(10 * sizeof(int));\nfor (int i = 0; i <= 10; i++) p[i] = i;\nfree(p);", "corrupts memory|corrompe la memoria"],
  ["cpp", "std::vector<int> v = {1, 2, 3};\nfor (auto it = v.begin(); it != v.end(); ++it) {\n  if (*it == 2) v.erase(it);\n}", "crashes|se cuelga"],
  ["go", "var wg sync.WaitGroup\nfor _, u := range urls {\n    go fetch(u)\n}\nwg.Wait()", "returns immediately|termina enseguida"],
  ["rust", "let s = String::from(\"hi\");\nlet t = s;\nprintln!(\"{}\", s);", "does not compile|no compila"],
  ["sql", "SELECT name, COUNT(*) FROM orders;", "gives an error|da un error"],
  ["sql", "SELECT * FROM users WHERE email = '' OR 1=1;", "returns every row|devuelve todas las filas"],
  ["bash", "for f in $(ls *.txt); do\n  mv $f backup/$f\ndone", "breaks on file names with spaces|falla con nombres con espacios"],
  ["yaml", "jobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n    - run: npm test", "fails with no package.json|falla sin package.json"],
  ["dockerfile", "FROM node:20\nCOPY . .\nRUN npm install\nCMD node index.js", "builds very slowly|tarda mucho en construirse"],
  ["ruby", "def greet(name)\n  puts \"Hello \" + name\nend\ngreet(nil)", "raises a TypeError|lanza un TypeError"],
  ["php", "$items = [1, 2, 3];\nforeach ($items as $item) {\n  echo $item\n}", "gives a syntax error|da un error de sintaxis"],
  ["kotlin", "val list = listOf(1, 2, 3)\nlist.add(4)", "does not compile|no compila"],
  ["csharp", "var dict = new Dictionary<string, int>();\nConsole.WriteLine(dict[\"missing\"]);", "throws a KeyNotFoundException|lanza un KeyNotFoundException"],
  ["python", "class Counter:\n    count = []\n    def add(self, x):\n        self.count.append(x)", "shares state between instances|comparte estado entre instancias"],
  ["javascript", "async function load() {\n  const data = fetch('/api');\n  return data.items;\n}", "returns undefined|devuelve undefined"],
  ["python", "x = input('n: ')\nprint(x + 1)", "raises a TypeError|lanza un TypeError"],
  ["makefile", "build:\n    gcc -o app main.c", "says missing separator|dice missing separator"],
  ["bash", "find . -name '*.tmp' | xargs rm -rf", "deletes too much|borra demasiado"],
  ["bash", "cat access.log | awk '{print $1}' | sort | uniq -c | sort -rn | head", "is slow on big logs|va lento con logs grandes"],
  ["bash", "git reset --hard HEAD~1", "lost my work|me ha borrado el trabajo"],
  ["bash", "docker run -it --rm -v $(pwd):/app node:20 npm test", "cannot find package.json|no encuentra package.json"],
  ["bash", "chmod -R 777 /var/www", "is flagged as insecure|se marca como inseguro"],
  ["javascript", "if (user.age = 18) { console.log('adult') }", "always prints adult|siempre imprime adult"],
  ["python", "print([x for x in range(10) if x % 2 == 0])", "prints the wrong numbers|imprime números incorrectos"],
];

/** Frames asking to write code, English. Slots: {lang}, {task}, {algo}, {howto}, {fw}. */
export const WRITE_FRAMES_EN = [
  "Write a {lang} function that {task}.", "Can you write {lang} code that {task}?", "I need a {lang} function that {task}.",
  "Give me a {lang} snippet that {task}.", "Create a {lang} script that {task}.", "Show me how to write a function that {task} in {lang}.",
  "Implement {algo} in {lang}.", "Code {algo} in {lang}, please.", "Write {algo} in {lang} with comments.",
  "How do I {howto} in {lang}?", "What's the idiomatic way to {howto} in {lang}?", "In {lang}, how can I {howto}?",
  "Create {fw}.", "Write {fw}.", "Build {fw}.", "Make a function that {task}.", "Write a program that {task}.",
  "Write unit tests for a {lang} function that {task}.", "Generate tests for a function that {task}.",
  "Refactor my {lang} function that {task} to be faster.", "Give me an example of {algo} in {lang}.",
];

/** Frames asking to write code, Spanish. */
export const WRITE_FRAMES_ES = [
  "Escribe una función en {lang} que {task}.", "¿Puedes escribir código {lang} que {task}?", "Necesito una función en {lang} que {task}.",
  "Dame un fragmento de {lang} que {task}.", "Crea un script en {lang} que {task}.", "Enséñame a escribir una función que {task} en {lang}.",
  "Implementa {algo} en {lang}.", "Programa {algo} en {lang}, por favor.", "Escribe {algo} en {lang} con comentarios.",
  "¿Cómo {howto} en {lang}?", "¿Cuál es la forma idiomática en {lang}? Quiero saber cómo {howto}.", "En {lang}, ¿cómo {howto}?",
  "Crea {fw}.", "Escribe {fw}.", "Hazme {fw}.", "Haz una función que {task}.", "Escribe un programa que {task}.",
  "Escribe tests unitarios para una función en {lang} que {task}.", "Genera pruebas para una función que {task}.",
  "Refactoriza mi función en {lang} que {task} para que sea más rápida.", "Dame un ejemplo de {algo} en {lang}.",
];

/** Frames around a snippet, English. Slots: {code} (rendered), {lang}, {bug}, {lang2}. */
export const SNIPPET_FRAMES_EN = [
  "Fix this code:\n{code}", "Why does this {bug}?\n{code}", "{code}\nThis {bug}. What's wrong?", "Can you review this {lang} code?\n{code}",
  "Explain what this code does:\n{code}", "{code}\nExplain this line by line.", "Convert this to {lang2}:\n{code}",
  "Write tests for this:\n{code}", "Make this more efficient:\n{code}", "{code}\nHow can I make this cleaner?", "Find the bug:\n{code}",
  "Add type hints and docstrings:\n{code}", "{code}\nwhy?", "Help! {code}",
];
/** Frames around a snippet, Spanish. */
export const SNIPPET_FRAMES_ES = [
  "Arregla este código:\n{code}", "¿Por qué este código {bug}?\n{code}", "{code}\nEsto {bug}. ¿Qué pasa?", "¿Puedes revisar este código {lang}?\n{code}",
  "Explica qué hace este código:\n{code}", "{code}\nExplícamelo línea a línea.", "Pásalo a {lang2}:\n{code}",
  "Escribe tests para esto:\n{code}", "Haz esto más eficiente:\n{code}", "{code}\n¿Cómo lo dejo más limpio?", "Encuentra el error:\n{code}",
  "Añade tipos y comentarios:\n{code}", "{code}\n¿por qué?", "¡Ayuda! {code}",
];

/** Libraries and tools with something to do with them: "library|English task|Spanish task". */
export const LIBRARY_TASKS = `
pandas|merge two dataframes on a column|unir dos dataframes por una columna
numpy|compute the dot product of two arrays|calcular el producto escalar de dos arrays
React|fetch data when a component mounts|cargar datos al montar un componente
Redux|store the logged-in user|guardar el usuario que ha iniciado sesión
Django|add a custom admin action|añadir una acción personalizada al admin
Express|add CORS middleware|añadir un middleware de CORS
Spring Boot|read a property from application.yml|leer una propiedad de application.yml
Laravel|validate a form request|validar un formulario
Rails|add a has_many association|añadir una asociación has_many
tokio|spawn concurrent tasks|lanzar tareas concurrentes
axios|set a default header|poner una cabecera por defecto
lodash|deep merge two objects|fusionar dos objetos en profundidad
pytest|parametrize a test|parametrizar un test
Jest|mock a module|mockear un módulo
Playwright|take a screenshot of a page|hacer una captura de una página
Selenium|click a button by its text|hacer clic en un botón por su texto
scikit-learn|train a random forest classifier|entrenar un random forest
PyTorch|save and load a model checkpoint|guardar y cargar un checkpoint del modelo
TensorFlow|build a simple Keras model|crear un modelo sencillo de Keras
OpenCV|detect edges in an image|detectar bordes en una imagen
Tailwind|make a responsive navbar|hacer una barra de navegación responsive
webpack|split the bundle into chunks|dividir el bundle en trozos
Vite|configure a proxy to my API|configurar un proxy hacia mi API
git|squash the last three commits|juntar los tres últimos commits
Docker|pass environment variables to a container|pasar variables de entorno a un contenedor
kubectl|restart a deployment|reiniciar un deployment
Terraform|use a variable in a module|usar una variable en un módulo
SQLAlchemy|define a one-to-many relationship|definir una relación uno a muchos
Prisma|add a unique constraint|añadir una restricción unique
NumPy|reshape an array|cambiar la forma de un array
matplotlib|plot two lines with a legend|dibujar dos líneas con leyenda
regex|capture groups in JavaScript|usar grupos de captura en JavaScript
Node.js|read a file with streams|leer un fichero con streams
asyncio|run coroutines concurrently|ejecutar corrutinas en paralelo
`;
export const LIBRARY_FRAMES_EN = ["How do I {t} with {l}?", "Using {l}, how can I {t}?", "Show me {l} code to {t}.", "What's the {l} way to {t}?", "Write a {l} example that shows how to {t}.", "When should I use {l} to {t}?"];
export const LIBRARY_FRAMES_ES = ["¿Cómo puedo {t} con {l}?", "Usando {l}, ¿cómo puedo {t}?", "Enséñame código de {l} para {t}.", "¿Cuál es la forma de {t} en {l}?", "Escribe un ejemplo de {l} que muestre cómo {t}.", "¿Cuándo uso {l} para {t}?"];

/** Error messages users paste. */
export const ERRORS = [
  "TypeError: Cannot read properties of undefined (reading 'map')", "Segmentation fault (core dumped)", "java.lang.NullPointerException",
  "ModuleNotFoundError: No module named 'requests'", "CORS policy: No 'Access-Control-Allow-Origin' header", "npm ERR! code ERESOLVE",
  "error[E0502]: cannot borrow `v` as mutable because it is also borrowed as immutable", "undefined reference to `main'",
  "IndentationError: unexpected indent", "SyntaxError: Unexpected token '<'", "fatal: refusing to merge unrelated histories",
  "ERROR 1064 (42000): You have an error in your SQL syntax", "panic: runtime error: index out of range", "KeyError: 'id'",
  "Uncaught ReferenceError: $ is not defined", "error TS2322: Type 'string' is not assignable to type 'number'",
  "OSError: [Errno 98] Address already in use", "Exception in thread main java.lang.OutOfMemoryError", "UnboundLocalError: local variable referenced before assignment",
];
export const ERROR_FRAMES_EN = ["How do I fix this error: {e}", "I get {e} in my {lang} code. Why?", "{e}\nWhat does this mean and how do I fix it?", "Getting '{e}' when I run my script, help"];
export const ERROR_FRAMES_ES = ["¿Cómo arreglo este error: {e}", "Me sale {e} en mi código {lang}. ¿Por qué?", "{e}\n¿Qué significa y cómo lo soluciono?", "Me da '{e}' al ejecutar mi script, ayuda"];

/** Programming artifacts (comma-separated per language, with article). */
export const ARTIFACTS_EN = `
a React hook, a React component, a Vue composable, an Angular directive, a Svelte store, a CSS grid layout, a flexbox layout,
a CSS animation, a Tailwind config, an HTML form, a web worker, a service worker, a Chrome extension, a VS Code extension,
a Python generator, a Python decorator, a context manager, a dataclass, a Pydantic model, a Django view, a Flask blueprint,
a FastAPI dependency, a Celery task, a pandas pipeline, a NumPy function, a Jupyter notebook cell, a Go middleware, a Go struct,
a goroutine worker pool, a Rust trait, a Rust macro, a Rust enum, a C++ template, a C macro, a Java stream pipeline,
a Spring bean, a Kotlin coroutine, a Swift protocol, a C# LINQ query, a .NET controller, a Ruby gem, a Rails migration,
a PHP class, a Laravel job, a Node.js stream, an Express middleware, a GraphQL resolver, a gRPC service definition,
a protobuf message, a JSON schema, an OpenAPI spec, a SQL view, a SQL trigger, a SQL stored procedure, a database migration,
a Redis cache wrapper, a Kafka consumer, a RabbitMQ producer, a WebSocket client, a CLI tool, a bash alias, a zsh function,
a git hook, a pre-commit config, an ESLint rule, a Prettier config, a Webpack loader, a Vite plugin, a Babel plugin,
a Jest mock, a Vitest test, a pytest fixture, a Cypress test, a Playwright test, a Selenium script, a load test with k6,
a Terraform module, a Helm chart, a Kubernetes CronJob, a Dockerfile, a docker-compose file, a GitHub Actions job,
a Jenkinsfile, a Makefile rule, a CMakeLists.txt, a Gradle build, a Maven pom, a Cargo workspace, a package.json script,
a regular expression, a cron expression, a jq filter, an awk script, a sed command, a PowerShell function, a SQL query,
a Lua script for Redis, an Arduino sketch, a Unity script, a shader, a smart contract in Solidity
`;
export const ARTIFACTS_ES = `
un hook de React, un componente de React, un composable de Vue, una directiva de Angular, un store de Svelte,
un layout con CSS grid, un layout con flexbox, una animación CSS, un formulario HTML, un web worker, un service worker,
una extensión de Chrome, una extensión de VS Code, un generador de Python, un decorador de Python, un context manager,
una dataclass, un modelo de Pydantic, una vista de Django, un blueprint de Flask, una tarea de Celery, un pipeline de pandas,
un middleware de Go, un struct de Go, un pool de goroutines, un trait de Rust, una macro de Rust, una plantilla de C++,
un stream de Java, un bean de Spring, una corrutina de Kotlin, un protocolo de Swift, una consulta LINQ, un controlador de .NET,
una migración de Rails, una clase PHP, un job de Laravel, un stream de Node.js, un middleware de Express, un resolver de GraphQL,
un servicio gRPC, un mensaje protobuf, un esquema JSON, una especificación OpenAPI, una vista SQL, un trigger SQL,
una migración de base de datos, un envoltorio de caché con Redis, un consumidor de Kafka, un productor de RabbitMQ,
un cliente WebSocket, una herramienta de línea de comandos, un alias de bash, un hook de git, una regla de ESLint,
un plugin de Vite, un mock de Jest, un test de Vitest, un fixture de pytest, un test de Cypress, un test de Playwright,
un script de Selenium, un módulo de Terraform, un chart de Helm, un CronJob de Kubernetes, un Dockerfile,
un fichero docker-compose, un job de GitHub Actions, un Jenkinsfile, una regla de Makefile, un CMakeLists.txt,
un build de Gradle, un script de package.json, una expresión regular, una expresión cron, un filtro de jq, un script de awk,
un comando sed, una función de PowerShell, una consulta SQL, un sketch de Arduino, un script de Unity, un shader,
un contrato inteligente en Solidity
`;
export const ARTIFACT_FRAMES_EN = [
  "Write {a} that {task}.", "Generate {a} that {task}.", "Create {a} that {task}.", "Build {a} that {task}.", "I need {a} that {task}.",
  "Show me {a} that {task}.", "Give me {a} that {task}.", "My {x} {problem}. How do I fix it?", "Why does my {x} {problem}?",
  "Can you review my {x}? It {problem}.", "Explain how to write {a}.", "What's wrong with my {x}? It {problem}.", "Write tests for {a}.",
];
export const ARTIFACT_FRAMES_ES = [
  "Escribe {a} que {task}.", "Genera {a} que {task}.", "Crea {a} que {task}.", "Hazme {a} que {task}.", "Necesito {a} que {task}.",
  "Enséñame {a} que {task}.", "Dame {a} que {task}.", "Mi {x} {problem}. ¿Cómo lo arreglo?", "¿Por qué mi {x} {problem}?",
  "¿Puedes revisar mi {x}? {problem}.", "Explica cómo escribir {a}.", "¿Qué falla en mi {x}? {problem}.", "Escribe tests para {a}.",
];
/** Symptoms: "English|Spanish". */
export const PROBLEMS = `
doesn't render|no se renderiza
returns undefined|devuelve undefined
is really slow|va muy lento
leaks memory|pierde memoria
fails on CI|falla en el CI
throws an exception|lanza una excepción
runs twice|se ejecuta dos veces
never finishes|nunca termina
breaks on Windows|falla en Windows
gives the wrong result|da un resultado incorrecto
won't compile|no compila
overlaps the content|se superpone al contenido
`;

/** Language constructs: "English|Spanish". */
export const CONSTRUCTS = `
a switch statement|un switch
a ternary operator|el operador ternario
a lambda|una lambda
a for-each loop|un bucle for-each
a try/catch block|un bloque try/catch
string interpolation|la interpolación de cadenas
a dictionary literal|un diccionario literal
pattern matching|el pattern matching
an enum|un enum
a generic type|un tipo genérico
a struct|un struct
a do-while loop|un bucle do-while
a multi-line string|una cadena multilínea
a default parameter|un parámetro por defecto
an anonymous function|una función anónima
a class with inheritance|una clase con herencia
`;
export const CONSTRUCT_FRAMES_EN = ["What's the syntax for {k} in {lang}?", "How do I write {k} in {lang}?", "Show me {k} in {lang}.", "Does {lang} have {k}? Show an example.", "Example of {k} in {lang}, please."];
export const CONSTRUCT_FRAMES_ES = ["¿Cuál es la sintaxis de {k} en {lang}?", "¿Cómo escribo {k} en {lang}?", "Enséñame {k} en {lang}.", "¿{lang} tiene {k}? Pon un ejemplo.", "Un ejemplo de {k} en {lang}, por favor."];
