// The JSON Schema of theme files (themes/theme.schema.json), generated from
// the zod schema so the two cannot disagree; a unit test compares them.
import { z } from 'zod';
import { themeFileSchema } from './schema.js';

export function themeJsonSchema(): unknown {
  return {
    ...z.toJSONSchema(themeFileSchema, { io: 'input' }),
    title: 'Portcullis theme',
    description: 'Semantic colour tokens; any subset, merged over the default theme. See themes/README.md.',
  };
}
