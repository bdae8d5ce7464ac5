// Validates Strimzi resources against the Strimzi CRD schemas (as compiled by
// @kubernetes-models/strimzi-kafka-operator). Input on stdin: a JSON array of resources.
// Output on stdout: a JSON array with one {kind, name, errors} per resource.
import { readFileSync } from "node:fs";

const docs = JSON.parse(readFileSync(0, "utf8"));
const results = [];
for (const doc of docs) {
  const [group, version] = String(doc.apiVersion ?? "").split("/");
  const name = doc.metadata?.name ?? "";
  if (group !== "kafka.strimzi.io" || !/^[A-Za-z]+$/.test(doc.kind ?? "") || !/^v[0-9a-z]+$/.test(version ?? "")) {
    results.push({ kind: doc.kind, name, errors: [`not a Strimzi resource: ${doc.apiVersion} ${doc.kind}`] });
    continue;
  }
  let Model;
  try {
    const module = await import(`@kubernetes-models/strimzi-kafka-operator/${group}/${version}/${doc.kind}`);
    Model = module[doc.kind];
  } catch {
    results.push({ kind: doc.kind, name, errors: [`no schema for ${doc.apiVersion} ${doc.kind}`] });
    continue;
  }
  try {
    new Model(doc).validate();
    results.push({ kind: doc.kind, name, errors: [] });
  } catch (e) {
    results.push({ kind: doc.kind, name, errors: [String(e.message ?? e)] });
  }
}
process.stdout.write(JSON.stringify(results));
