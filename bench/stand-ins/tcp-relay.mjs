// The least a gateway can do: a TCP relay (sockets piped both ways, no HTTP). Usage: node tcp-relay.mjs <port> <upstream-port>
import net from "node:net";

const [port, upstream] = process.argv.slice(2).map(Number);
net
  .createServer((client) => {
    const up = net.connect(upstream, "127.0.0.1");
    client.pipe(up);
    up.pipe(client);
    client.on("error", () => up.destroy());
    up.on("error", () => client.destroy());
  })
  .listen(port, "127.0.0.1", () => console.log("ready"));
