// The layering of packages/*/src, checked from the source: every static import and `export … from`
// (type-only ones too, since a type cycle is still a design cycle), every `import('…')` type and
// every dynamic `import('…')` of a literal path is parsed with the TypeScript compiler. The test fails
// on any import cycle (printing its path), on an import between packages other than layers → core ←
// webgpu, and on an import that points up a package's rank table (tests/layering-ranks.ts).
// Dynamic imports of computed names (Node built-ins kept out of browser bundles) cannot name a file
// of this repository, so they are left out.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { expect } from 'chai';
import { packageImports, ranks } from './layering-ranks.js';

type ImportKind = 'static' | 'type-only' | 'dynamic';

interface ImportRef {
  specifier: string;
  line: number;
  kind: ImportKind;
}

interface Edge {
  to: string;
  kind: ImportKind;
}

/** A cycle as its chain of imports, and every file of the strongly connected set it runs through. */
interface Cycle {
  steps: { from: string; to: string; kind: ImportKind }[];
  tangled: string[];
}

interface Tables {
  packageImports: Readonly<Record<string, readonly string[]>>;
  ranks: Readonly<Record<string, readonly (readonly string[])[]>>;
}

/** Every import of a file whose target is written as a string literal. */
function importsOf(fileName: string, text: string): ImportRef[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found: ImportRef[] = [];
  const add = (literal: ts.StringLiteral, kind: ImportKind) => {
    const line = source.getLineAndCharacterOfPosition(literal.getStart(source)).line + 1;
    found.push({ specifier: literal.text, line, kind });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const typeOnly = clause !== undefined && (clause.isTypeOnly || allTypeOnly(clause));
      add(node.moduleSpecifier, typeOnly ? 'type-only' : 'static');
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node.moduleSpecifier, node.isTypeOnly ? 'type-only' : 'static');
    } else if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    ) {
      add(node.argument.literal, 'type-only');
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const argument = node.arguments[0];
      if (argument && ts.isStringLiteral(argument)) add(argument, 'dynamic');
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** `import { type A, type B } from` brings in types only, as `import type` does. */
function allTypeOnly(clause: ts.ImportClause): boolean {
  const bindings = clause.namedBindings;
  if (clause.name || !bindings || !ts.isNamedImports(bindings)) return false;
  return bindings.elements.length > 0 && bindings.elements.every((element) => element.isTypeOnly);
}

/** A path pattern under src/ (`*` is any name within one folder) as a regular expression. */
function patternRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*');
  return new RegExp(`^${escaped}$`);
}

/** The package and the path under its src/ of a repository path, or undefined outside packages/*\/src. */
function placeOf(path: string): { pkg: string; inSrc: string } | undefined {
  const match = /^packages\/([^/]+)\/src\/(.+)$/.exec(path);
  return match ? { pkg: match[1], inSrc: match[2] } : undefined;
}

/** The repository path a relative specifier names, among the files given. */
function resolveLocal(fromPath: string, specifier: string, files: ReadonlySet<string>): string | undefined {
  const base = posix.normalize(posix.join(posix.dirname(fromPath), specifier));
  const stem = base.replace(/\.(js|ts)$/, '');
  const candidates = [base, `${stem}.ts`, `${stem}.d.ts`, `${base}/index.ts`];
  return candidates.find((candidate) => files.has(candidate));
}

const arrowFor = (kind: ImportKind) => (kind === 'static' ? ' → ' : ` →(${kind}) `);

/**
 * The layering problems of the sources (repository path → text), per package: files in no rank,
 * imports that resolve to nothing, cross the packages the wrong way or point up the ranks, and cycles.
 */
function layeringProblems(sources: ReadonlyMap<string, string>, tables: Tables): Map<string, string[]> {
  const problems = new Map<string, string[]>();
  const report = (pkg: string, message: string) => {
    const list = problems.get(pkg) ?? [];
    list.push(message);
    problems.set(pkg, list);
  };
  const files = new Set(sources.keys());
  const rankOf = new Map<string, number>();
  for (const path of files) {
    const place = placeOf(path);
    if (!place) throw new Error(`layering: ${path} is not under packages/*/src`);
    if (!problems.has(place.pkg)) problems.set(place.pkg, []);
    const table = tables.ranks[place.pkg];
    if (!table) {
      report(place.pkg, `packages/${place.pkg} has no rank table in tests/layering-ranks.ts`);
      continue;
    }
    const matching = table.flatMap((patterns, rank) =>
      patterns.some((p) => patternRegExp(p).test(place.inSrc)) ? [rank] : [],
    );
    if (matching.length === 0) {
      report(
        place.pkg,
        `${path} is in no rank of the ${place.pkg} table in tests/layering-ranks.ts; add it to the rank it belongs to`,
      );
    } else if (matching.length > 1) {
      report(
        place.pkg,
        `${path} matches ranks ${matching.join(' and ')} of the ${place.pkg} table; a file belongs to one rank`,
      );
    } else {
      rankOf.set(path, matching[0]);
    }
  }

  const edges = new Map<string, Edge[]>();
  for (const [path, text] of sources) {
    const { pkg, inSrc } = placeOf(path)!;
    const allowed = tables.packageImports[pkg] ?? [];
    const out: Edge[] = [];
    for (const { specifier, line, kind } of importsOf(path, text)) {
      const where = `${path}:${line}`;
      const named = /^@webgrad\/([^/]+)/.exec(specifier);
      if (named) {
        if (named[1] === pkg) {
          report(pkg, `${where} imports its own package by name (${specifier}); import the file`);
        } else if (!allowed.includes(named[1])) {
          const may = allowed.length ? allowed.join(', ') : 'no other package';
          report(pkg, `${where} imports ${specifier}, but ${pkg} may import ${may} (packages: layers → core ← webgpu)`);
        }
        continue;
      }
      if (!specifier.startsWith('.')) continue;
      const target = resolveLocal(path, specifier, files);
      if (!target) {
        report(pkg, `${where} imports ${specifier}, which is no .ts file under packages/*/src`);
        continue;
      }
      const targetPlace = placeOf(target)!;
      if (targetPlace.pkg !== pkg) {
        report(
          pkg,
          `${where} reaches into packages/${targetPlace.pkg}/src by path (${specifier}); import @webgrad/${targetPlace.pkg}`,
        );
        continue;
      }
      out.push({ to: target, kind });
      const from = rankOf.get(path);
      const to = rankOf.get(target);
      if (from !== undefined && to !== undefined && to > from) {
        report(
          pkg,
          `${where} imports ${specifier}${kind === 'static' ? '' : ` (${kind})`}, which ranks above it: ` +
            `${inSrc} is rank ${from}, ${targetPlace.inSrc} is rank ${to} in tests/layering-ranks.ts`,
        );
      }
    }
    edges.set(path, out);
  }

  for (const { steps, tangled } of cyclesOf(edges)) {
    const pkg = placeOf(steps[0].from)!.pkg;
    const strip = (path: string) => placeOf(path)!.inSrc;
    const text = strip(steps[0].from) + steps.map((step) => arrowFor(step.kind) + strip(step.to)).join('');
    const more = tangled.length > steps.length ? ` (one of the cycles among ${tangled.map(strip).join(', ')})` : '';
    report(pkg, `import cycle in packages/${pkg}/src: ${text}${more}`);
  }
  return problems;
}

/** One cycle per strongly connected set of files (Tarjan), each as its chain of imports. */
function cyclesOf(edges: ReadonlyMap<string, readonly Edge[]>): Cycle[] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  let counter = 0;
  const connect = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter++;
    stack.push(node);
    onStack.add(node);
    for (const { to } of edges.get(node) ?? []) {
      if (!index.has(to)) {
        connect(to);
        low.set(node, Math.min(low.get(node)!, low.get(to)!));
      } else if (onStack.has(to)) {
        low.set(node, Math.min(low.get(node)!, index.get(to)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    components.push(component);
  };
  for (const node of [...edges.keys()].sort()) {
    if (!index.has(node)) connect(node);
  }

  const cycles: Cycle[] = [];
  for (const component of components) {
    const members = new Set(component);
    const start = [...component].sort()[0];
    const selfLoop = (edges.get(start) ?? []).find((edge) => edge.to === start);
    if (component.length === 1 && !selfLoop) continue;
    // the shortest way round from `start`, breadth first inside the component
    const cameFrom = new Map<string, { from: string; kind: ImportKind }>();
    const queue = [start];
    let closing: { from: string; kind: ImportKind } | undefined;
    while (queue.length && !closing) {
      const node = queue.shift()!;
      for (const { to, kind } of edges.get(node) ?? []) {
        if (to === start) {
          closing = { from: node, kind };
          break;
        }
        if (members.has(to) && !cameFrom.has(to)) {
          cameFrom.set(to, { from: node, kind });
          queue.push(to);
        }
      }
    }
    const steps = [{ from: closing!.from, to: start, kind: closing!.kind }];
    while (steps[0].from !== start) {
      const previous = cameFrom.get(steps[0].from)!;
      steps.unshift({ from: previous.from, to: steps[0].from, kind: previous.kind });
    }
    cycles.push({ steps, tangled: [...component].sort() });
  }
  return cycles;
}

function sourcesUnder(root: string): Map<string, string> {
  const sources = new Map<string, string>();
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) {
        sources.set(relative(root, path).split('\\').join('/'), readFileSync(path, 'utf8'));
      }
    }
  };
  for (const pkg of readdirSync(join(root, 'packages'))) {
    if (existsSync(join(root, 'packages', pkg, 'src'))) walk(join(root, 'packages', pkg, 'src'));
  }
  return sources;
}

const repositoryRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('layering: the imports of packages/*/src', () => {
  const sources = sourcesUnder(repositoryRoot);
  const problems = layeringProblems(sources, { packageImports, ranks });

  it('reads every package', () => {
    const counts = Object.keys(ranks).map(
      (pkg) => [...sources.keys()].filter((path) => placeOf(path)?.pkg === pkg).length,
    );
    expect(
      counts.every((n) => n >= 5),
      `files per package: ${counts}`,
    ).to.equal(true);
  });

  for (const pkg of Object.keys(ranks)) {
    it(`${pkg}: no cycle, no import across packages the wrong way, none up its ranks`, () => {
      const found = problems.get(pkg) ?? [];
      if (found.length) {
        throw new Error(`${found.length} layering problem(s) in packages/${pkg}/src:\n  ${found.join('\n  ')}`);
      }
    });
  }
});

describe('layering: the checker', () => {
  const tables: Tables = {
    packageImports: { core: [], webgpu: ['core'], layers: ['core'] },
    ranks: { core: [['a.ts'], ['b.ts'], ['ops/*.ts'], ['index.ts']], webgpu: [['index.ts']], layers: [['index.ts']] },
  };
  const check = (files: Record<string, string>) => {
    const sources = new Map(Object.entries(files).map(([path, text]) => [`packages/${path}`, text]));
    return [...layeringProblems(sources, tables).values()].flat();
  };

  it('passes a graph that points down', () => {
    expect(
      check({
        'core/src/a.ts': 'export const a = 1;',
        'core/src/b.ts': "import { a } from './a.js';\nexport const b = a;",
        'core/src/ops/x.ts': "import type { b } from '../b.js';\nexport const x = 1;",
        'core/src/index.ts': "export * from './ops/x.js';\nexport { a } from './a.js';",
        'webgpu/src/index.ts': "import { a } from '@webgrad/core';",
        'layers/src/index.ts': "import { a } from '@webgrad/core';",
      }),
    ).to.deep.equal([]);
  });

  it('reports a cycle through a type-only import with its path', () => {
    expect(
      check({
        'core/src/a.ts': "import type { B } from './b.js';\nexport type A = B;",
        'core/src/b.ts': "import type { A } from './a.js';\nexport type B = A;",
        'core/src/index.ts': '',
      }),
    ).to.deep.equal([
      'packages/core/src/a.ts:1 imports ./b.js (type-only), which ranks above it: ' +
        'a.ts is rank 0, b.ts is rank 1 in tests/layering-ranks.ts',
      'import cycle in packages/core/src: a.ts →(type-only) b.ts →(type-only) a.ts',
    ]);
  });

  it('reports a dynamic import up the ranks, an unranked file and a package imported the wrong way', () => {
    expect(
      check({
        'core/src/a.ts': "export const later = () => import('./ops/x.js');",
        'core/src/ops/x.ts': '',
        'core/src/extra.ts': "import { w } from '@webgrad/webgpu';",
        'core/src/index.ts': '',
      }),
    ).to.deep.equal([
      'packages/core/src/extra.ts is in no rank of the core table in tests/layering-ranks.ts; add it to the rank it belongs to',
      'packages/core/src/a.ts:1 imports ./ops/x.js (dynamic), which ranks above it: ' +
        'a.ts is rank 0, ops/x.ts is rank 2 in tests/layering-ranks.ts',
      'packages/core/src/extra.ts:1 imports @webgrad/webgpu, but core may import no other package (packages: layers → core ← webgpu)',
    ]);
  });

  it('reports an import that names no file', () => {
    expect(check({ 'core/src/a.ts': "import { gone } from './gone.js';", 'core/src/index.ts': '' })).to.deep.equal([
      'packages/core/src/a.ts:1 imports ./gone.js, which is no .ts file under packages/*/src',
    ]);
  });
});
