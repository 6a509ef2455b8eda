// The least an HTTP proxy in Node does: read the body, send it upstream on a kept-alive connection,
// write each upstream chunk back. Usage: node http-proxy.mjs <port> <upstream-port>
import http from "node:http";

const [port, upstream] = process.argv.slice(2).map(Number);
const agent = new http.Agent({ keepAlive: true });
http
  .createServer((req, res) => {
    const parts = [];
    req.on("data", (d) => parts.push(d));
    req.on("end", () => {
      const body = Buffer.concat(parts);
      const headers = { "content-type": "application/json", "content-length": body.length };
      const up = http.request({ host: "127.0.0.1", port: upstream, path: req.url, method: req.method, agent, headers }, (ur) => {
        res.writeHead(ur.statusCode ?? 502, { "content-type": ur.headers["content-type"] ?? "text/plain" });
        ur.on("data", (d) => res.write(d));
        ur.on("end", () => res.end());
      });
      up.on("error", () => res.destroy());
      up.end(body);
    });
  })
  .listen(port, "127.0.0.1", () => console.log("ready"));
