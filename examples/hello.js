// The smallest mlrun example in JavaScript: what does the sandbox look like from inside?
const fs = require("fs");
const os = require("os");

console.log(`hello from ${os.hostname()} as uid ${process.getuid()}`);
const pids = fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p)).map(Number).sort((a, b) => a - b);
console.log(`processes visible: ${JSON.stringify(pids)}`);
try {
  fs.appendFileSync("/etc/passwd", "x");
} catch (e) {
  console.log(`writing /etc/passwd: ${e.code}`);
}
