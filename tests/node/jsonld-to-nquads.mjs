// Expand a JSON-LD file with jsonld.js (no network: remote contexts are refused) and print N-Quads.
// Usage: node jsonld-to-nquads.mjs FILE
import { readFile } from "node:fs/promises";
import jsonld from "jsonld";

const offline = async (url) => {
  throw new Error(`refusing to fetch remote context ${url}: the dump must be self-contained`);
};
const document = JSON.parse(await readFile(process.argv[2], "utf-8"));
const nquads = await jsonld.toRDF(document, { format: "application/n-quads", documentLoader: offline, safe: true });
process.stdout.write(nquads);
