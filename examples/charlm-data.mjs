// The character-level language model lab's data in Node: English text from Debian's `fortunes` package
// (the fortune cookie files, installed by the set-up) read from its folder, plus everything of
// charlm-text.mjs — the browser-safe part (vocabulary, normalisation, split, windows, count models),
// which the browser demo imports alone, getting the same files through examples/web/serve.mjs.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FORTUNE_FILES, fortunesCorpus } from './charlm-text.mjs';

export * from './charlm-text.mjs';

export const FORTUNE_DIR = '/usr/share/games/fortunes';

/** {train, validation, test}: each the ids of its part of every file, files in FORTUNE_FILES order. */
export function loadFortunes({ dir = FORTUNE_DIR, files = FORTUNE_FILES } = {}) {
  const missing = files.filter((f) => !existsSync(join(dir, f)));
  if (missing.length) {
    throw new Error(
      `charlm: the corpus is Debian's fortunes package, but ${join(dir, missing[0])} is missing ` +
        `(${missing.length} of ${files.length} files); install it with apt-get install fortunes ` +
        '(npm run setup does, as root on Debian)',
    );
  }
  return fortunesCorpus(files.map((file) => readFileSync(join(dir, file), 'latin1')));
}
