/** LIKE patterns with the user's `%`, `_` and `\` taken literally (search boxes, filters). */
const escapeLike = (text: string) => text.replace(/[\\%_]/g, (ch) => `\\${ch}`);

export const containing = (text: string) => `%${escapeLike(text)}%`;
export const startingWith = (text: string) => `${escapeLike(text)}%`;
