// What an MCP call answered, as one string: the text of every content item, joined.
export const text = (result: { content?: unknown }): string => ((result.content as Array<{ text?: string }>) ?? []).map((c) => c.text ?? '').join('');
