// Deck (the Deck app's REST API v1.0): boards, a board with its stacks and cards, and creating,
// changing, moving and deleting cards, with labels and assignees.
import { z } from 'zod';
import type { NextcloudConnection } from '../connection.js';
import { CHANGES, CREATES, defineTool, DELETES, READ_ONLY, type AnyToolSpec } from '../define.js';
import { done, doneWith, isoDateTime } from './shared.js';

const API = '/apps/deck/api/v1.0';
const id = (what: string) => z.number().int().positive().describe(what);

interface DeckCard {
  id: number;
  title: string;
  description?: string;
  stackId: number;
  type: string;
  order: number;
  duedate?: string | null;
  owner: string | { uid: string };
  labels?: Array<{ id: number; title: string }>;
  assignedUsers?: Array<{ participant: { uid: string } }>;
  archived?: boolean;
}

const card = z.object({
  id: z.number(),
  title: z.string(),
  description: z.string(),
  stackId: z.number(),
  order: z.number(),
  due: z.string().optional(),
  labels: z.array(z.object({ id: z.number(), title: z.string() })),
  assignedUsers: z.array(z.string()),
});
const board = z.object({ id: z.number(), title: z.string(), color: z.string().optional(), archived: z.boolean().optional() });
const stack = z.object({ id: z.number(), title: z.string(), order: z.number(), cards: z.array(card) });

const shapeCard = (c: DeckCard) => ({
  id: c.id,
  title: c.title,
  description: c.description ?? '',
  stackId: c.stackId,
  order: c.order,
  ...(c.duedate ? { due: c.duedate } : {}),
  labels: (c.labels ?? []).map((l) => ({ id: l.id, title: l.title })),
  assignedUsers: (c.assignedUsers ?? []).map((a) => a.participant.uid),
});

const cardPath = (b: number, s: number, c: number) => `${API}/boards/${b}/stacks/${s}/cards/${c}`;
const call = async <T>(conn: NextcloudConnection, method: string, path: string, body?: unknown, what?: string) =>
  (await conn.json<T>(method, path, body, { what })).data;

export const deckTools: AnyToolSpec[] = [
  defineTool({
    name: 'deck_list_boards',
    title: 'List Deck boards',
    description: 'List the Deck boards the user can see (id, title, color).',
    app: 'deck',
    input: z.object({ includeArchived: z.boolean().default(false) }),
    output: z.object({ boards: z.array(board) }),
    annotations: READ_ONLY,
    async run({ includeArchived }, { conn }) {
      const boards = await call<Array<z.infer<typeof board> & { deletedAt?: number }>>(conn, 'GET', `${API}/boards`, undefined, 'the Deck boards');
      return {
        boards: boards
          .filter((b) => !b.deletedAt && (includeArchived || !b.archived))
          .map((b) => ({ id: b.id, title: b.title, color: b.color, archived: b.archived })),
      };
    },
  }),
  defineTool({
    name: 'deck_get_board',
    title: 'Read a Deck board',
    description: 'Read a board with its labels, members, stacks (columns) and the cards in each stack.',
    app: 'deck',
    input: z.object({ boardId: id('The board id.') }),
    output: board.extend({
      labels: z.array(z.object({ id: z.number(), title: z.string(), color: z.string() })),
      members: z.array(z.string()),
      stacks: z.array(stack),
    }),
    annotations: READ_ONLY,
    async run({ boardId }, { conn }) {
      const what = `Deck board ${boardId}`;
      const b = await call<{
        id: number;
        title: string;
        color: string;
        archived: boolean;
        labels: Array<{ id: number; title: string; color: string }>;
        users?: Array<{ uid: string }>;
        owner: { uid: string };
      }>(conn, 'GET', `${API}/boards/${boardId}`, undefined, what);
      const stacks = await call<Array<{ id: number; title: string; order: number; cards?: DeckCard[] }>>(
        conn,
        'GET',
        `${API}/boards/${boardId}/stacks`,
        undefined,
        what,
      );
      return {
        id: b.id,
        title: b.title,
        color: b.color,
        archived: b.archived,
        labels: b.labels.map((l) => ({ id: l.id, title: l.title, color: l.color })),
        members: [...new Set([b.owner.uid, ...(b.users ?? []).map((u) => u.uid)])],
        stacks: stacks.map((s) => ({ id: s.id, title: s.title, order: s.order, cards: (s.cards ?? []).map(shapeCard) })),
      };
    },
  }),
  defineTool({
    name: 'deck_create_board',
    title: 'Create a Deck board',
    description: 'Create a Deck board owned by the user; add columns with deck_create_stack.',
    app: 'deck',
    input: z.object({
      title: z.string().min(1).max(100),
      color: z
        .string()
        .regex(/^[0-9a-fA-F]{6}$/)
        .default('0082c9')
        .describe('Hex color without "#".'),
    }),
    output: board,
    annotations: CREATES,
    async run({ title, color }, { conn }) {
      const b = await call<{ id: number; title: string; color: string; archived: boolean }>(
        conn,
        'POST',
        `${API}/boards`,
        { title, color },
        'a new Deck board',
      );
      return { id: b.id, title: b.title, color: b.color, archived: b.archived };
    },
  }),
  defineTool({
    name: 'deck_create_stack',
    title: 'Create a Deck stack',
    description: 'Add a stack (column, e.g. "To do") to a board.',
    app: 'deck',
    input: z.object({ boardId: id('The board id.'), title: z.string().min(1).max(100), order: z.number().int().min(0).default(999) }),
    output: stack,
    annotations: CREATES,
    async run({ boardId, title, order }, { conn }) {
      const s = await call<{ id: number; title: string; order: number }>(
        conn,
        'POST',
        `${API}/boards/${boardId}/stacks`,
        { title, order },
        `Deck board ${boardId}`,
      );
      return { id: s.id, title: s.title, order: s.order, cards: [] };
    },
  }),
  defineTool({
    name: 'deck_create_card',
    title: 'Create a Deck card',
    description: 'Add a card to a stack (column) of a board, with an optional Markdown description and due date.',
    app: 'deck',
    input: z.object({
      boardId: id('The board id.'),
      stackId: id('The stack id (from deck_get_board).'),
      title: z.string().min(1).max(255),
      description: z.string().max(100_000).optional().describe('Markdown'),
      due: isoDateTime('Due date, ISO 8601.').optional(),
    }),
    output: card,
    annotations: CREATES,
    async run({ boardId, stackId, title, description, due }, { conn }) {
      const c = await call<DeckCard>(
        conn,
        'POST',
        `${API}/boards/${boardId}/stacks/${stackId}/cards`,
        { title, type: 'plain', order: 999, description, duedate: due },
        `Deck stack ${stackId}`,
      );
      return shapeCard(c);
    },
  }),
  defineTool({
    name: 'deck_update_card',
    title: 'Update a Deck card',
    description: 'Change a card\'s title, description or due date; fields left out stay as they are ("" for due removes it).',
    app: 'deck',
    input: z.object({
      boardId: id('The board id.'),
      stackId: id('The stack the card is in.'),
      cardId: id('The card id.'),
      title: z.string().min(1).max(255).optional(),
      description: z.string().max(100_000).optional(),
      due: z.string().optional().describe('ISO 8601, or "" to remove'),
    }),
    output: card,
    annotations: CHANGES,
    async run({ boardId, stackId, cardId, title, description, due }, { conn }) {
      const path = cardPath(boardId, stackId, cardId);
      const cur = await call<DeckCard>(conn, 'GET', path, undefined, `Deck card ${cardId}`);
      const owner = typeof cur.owner === 'string' ? cur.owner : cur.owner.uid;
      const body = {
        title: title ?? cur.title,
        type: cur.type,
        owner,
        order: cur.order,
        description: description ?? cur.description ?? '',
        duedate: due === undefined ? cur.duedate : due || null,
      };
      return shapeCard(await call<DeckCard>(conn, 'PUT', path, body, `Deck card ${cardId}`));
    },
  }),
  defineTool({
    name: 'deck_move_card',
    title: 'Move a Deck card',
    description: 'Move a card to another stack of the same board (e.g. from "To do" to "Done"), at a position (0 = top).',
    app: 'deck',
    input: z.object({
      boardId: id('The board id.'),
      stackId: id('The stack the card is in now.'),
      cardId: id('The card id.'),
      toStackId: id('The target stack.'),
      order: z.number().int().min(0).default(0),
    }),
    output: done,
    annotations: CHANGES,
    async run({ boardId, stackId, cardId, toStackId, order }, { conn }) {
      await call(conn, 'PUT', `${cardPath(boardId, stackId, cardId)}/reorder`, { order, stackId: toStackId }, `Deck card ${cardId}`);
      return doneWith(`Moved card ${cardId} to stack ${toStackId}.`);
    },
  }),
  defineTool({
    name: 'deck_delete_card',
    title: 'Delete a Deck card',
    description: 'Delete a card from a board (ids from deck_get_board).',
    app: 'deck',
    input: z.object({ boardId: id('The board id.'), stackId: id('The stack the card is in.'), cardId: id('The card id.') }),
    output: done,
    annotations: DELETES,
    async run({ boardId, stackId, cardId }, { conn }) {
      await call(conn, 'DELETE', cardPath(boardId, stackId, cardId), undefined, `Deck card ${cardId}`);
      return doneWith(`Deleted card ${cardId}.`);
    },
  }),
  ...(['label', 'user'] as const).map((kind) =>
    defineTool({
      name: `deck_assign_${kind}`,
      title: kind === 'label' ? 'Label a Deck card' : 'Assign a Deck card',
      description:
        kind === 'label'
          ? "Put one of the board's labels (ids from deck_get_board) on a card, or take it off with remove true."
          : 'Assign a board member (user id from deck_get_board) to a card, or unassign with remove true.',
      app: 'deck',
      input: z.object({
        boardId: id('The board id.'),
        stackId: id('The stack the card is in.'),
        cardId: id('The card id.'),
        ...(kind === 'label' ? { labelId: id('The label id.') } : { userId: z.string().min(1).max(64).describe('The user id.') }),
        remove: z.boolean().default(false),
      }),
      output: done,
      annotations: CHANGES,
      async run(a: { boardId: number; stackId: number; cardId: number; labelId?: number; userId?: string; remove: boolean }, { conn }) {
        const action = `${a.remove ? 'remove' : 'assign'}${kind === 'label' ? 'Label' : 'User'}`;
        const body = kind === 'label' ? { labelId: a.labelId } : { userId: a.userId };
        await call(conn, 'PUT', `${cardPath(a.boardId, a.stackId, a.cardId)}/${action}`, body, `Deck card ${a.cardId}`);
        return doneWith(
          `${a.remove ? 'Removed' : 'Assigned'} ${kind} ${kind === 'label' ? a.labelId : a.userId} ${a.remove ? 'from' : 'to'} card ${a.cardId}.`,
        );
      },
    }),
  ),
];
