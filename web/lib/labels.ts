/** The class a file name names, e.g. "cat.4001.jpg" → "cats" (by the name or its singular). */
export function classFromName(name: string, classes: string[]): number | null {
  const words = name.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
  const hits = classes
    .map((c, i) => ({ i, forms: [c.toLowerCase(), c.toLowerCase().replace(/e?s$/, '')] }))
    .filter(({ forms }) => words.some((w) => forms.includes(w)));
  return hits.length === 1 ? hits[0]!.i : null;
}
