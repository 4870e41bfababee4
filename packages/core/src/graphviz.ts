// DOT to SVG through Graphviz compiled to WebAssembly (@hpcc-js/wasm-graphviz): the same layout engine
// in Node and the browser, with no network after install (the WebAssembly ships inside the package).
// Loaded on first use, so code that never draws a graph never loads it.
type GraphvizInstance = { dot(source: string, format?: 'svg'): string };

let loading: Promise<GraphvizInstance> | undefined;

async function graphviz(): Promise<GraphvizInstance> {
  loading ??= import('@hpcc-js/wasm-graphviz').then((m) => m.Graphviz.load());
  return loading;
}

/** Lays out a DOT graph with Graphviz's `dot` and returns the SVG text. */
export async function dotToSvg(dot: string): Promise<string> {
  const gv = await graphviz();
  return gv.dot(dot, 'svg');
}

/** Escapes text for a DOT HTML-like label. */
export const htmlEscape = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Decodes the character references Graphviz writes into SVG text, for reading labels back. */
export const svgText = (svg: string): string[] =>
  [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) =>
    m[1]
      .replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, '&'),
  );
