// README.md's annotation and option tables are generated from the single declarations
// (`npm run docs`); a unit test fails when README.md drifts from them.
import { KEYS } from "../annotations/keys.js";
import { OPTIONS, SECRET_ENV, type OptionDeclaration } from "../config/options.js";

const cell = (s: string): string => s.replace(/\|/g, "\\|");
const row = (cells: string[]): string => `| ${cells.map(cell).join(" | ")} |`;

/** The annotation contract as a Markdown table. */
export function annotationTable(): string {
  const head = ["key", "on", "set by", "type", "default", "example", "meaning"];
  const rows = Object.values(KEYS).map((k) =>
    row([
      `\`${k.key}\``,
      k.on,
      k.writer === "user" ? "you" : "KubeNap",
      k.type,
      k.default,
      `\`${k.example}\``,
      k.doc,
    ]),
  );
  return [row(head), row(head.map(() => "---")), ...rows].join("\n");
}

/** A source's options live in its section of the YAML file (`prometheus.url`). */
const sourceOf = (o: OptionDeclaration): string | undefined =>
  o.file.includes(".") ? o.file.slice(0, o.file.indexOf(".")) : undefined;

/** Every option of `kubenap run` but the sources' own, as a Markdown table. */
export function optionsTable(): string {
  const head = ["flag", "environment", "default", "meaning"];
  const rows = Object.values(OPTIONS)
    .filter((o: OptionDeclaration) => sourceOf(o) === undefined)
    .map((o: OptionDeclaration) =>
      row([`\`--${o.flag}\``, `\`${o.env}\``, o.default ? `\`${o.default}\`` : "(empty)", o.doc]),
    );
  return [row(head), row(head.map(() => "---")), ...rows].join("\n");
}

/** One metrics source's options (with their key in the YAML file's section) as a Markdown table. */
export function sourceOptionsTable(source: string): string {
  const head = ["flag", "environment", "file key", "default", "meaning"];
  const rows = Object.values(OPTIONS)
    .filter((o: OptionDeclaration) => sourceOf(o) === source)
    .map((o: OptionDeclaration) =>
      row([
        `\`--${o.flag}\``,
        `\`${o.env}\``,
        `\`${o.file}\``,
        o.default ? `\`${o.default}\`` : "(empty)",
        o.doc,
      ]),
    );
  return [row(head), row(head.map(() => "---")), ...rows].join("\n");
}

/** The secrets, read from the environment only, as a Markdown table. */
export function secretsTable(): string {
  const head = ["environment", "meaning"];
  const rows = Object.values(SECRET_ENV).map((s) => row([`\`${s.env}\``, s.doc]));
  return [row(head), row(head.map(() => "---")), ...rows].join("\n");
}

/** Generated sections of README.md, by marker name. */
export const README_SECTIONS: Readonly<Record<string, () => string>> = {
  annotations: annotationTable,
  options: optionsTable,
  "options-datadog": () => sourceOptionsTable("datadog"),
  "options-influxdb": () => sourceOptionsTable("influxdb"),
  "options-logs": () => sourceOptionsTable("logs"),
  "options-prometheus": () => sourceOptionsTable("prometheus"),
  secrets: secretsTable,
};

/** Collapses the alignment prettier adds, so generated and formatted tables compare equal. */
export function normalizeTable(text: string): string {
  return text
    .trim()
    .split("\n")
    .map((l) => l.replace(/-{3,}/g, "---").replace(/\s+/g, " ").trim())
    .join("\n");
}

/** Replaces each `<!-- generated:NAME -->…<!-- /generated:NAME -->` block with the fresh table. */
export function renderReadme(readme: string): string {
  let out = readme;
  for (const [name, make] of Object.entries(README_SECTIONS)) {
    const re = new RegExp(`(<!-- generated:${name} -->\\n)[\\s\\S]*?(\\n<!-- /generated:${name} -->)`);
    out = out.replace(re, (_m, a: string, b: string) => `${a}\n${make()}\n${b}`);
  }
  return out;
}

/** The text inside one generated block of README.md, or undefined when the markers are missing. */
export function readmeSection(readme: string, name: string): string | undefined {
  const re = new RegExp(`<!-- generated:${name} -->\\n([\\s\\S]*?)\\n<!-- /generated:${name} -->`);
  return re.exec(readme)?.[1];
}
