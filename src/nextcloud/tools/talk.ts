// Talk (the spreed app's OCS chat API): conversations, reading messages, sending a message.
import { z } from 'zod';
import { ADDS_TO, defineTool, READ_ONLY, type AnyToolSpec } from '../define.js';

const ROOMS = '/apps/spreed/api/v4/room';
const CHAT = '/apps/spreed/api/v1/chat';
const ROOM_TYPES: Record<number, string> = { 1: 'one-to-one', 2: 'group', 3: 'public', 4: 'changelog', 5: 'former one-to-one', 6: 'note to self' };

interface Room {
  token: string;
  displayName: string;
  type: number;
  unreadMessages: number;
  lastActivity: number;
}
interface Message {
  id: number;
  actorId: string;
  actorDisplayName: string;
  timestamp: number;
  message: string;
  messageParameters?: Record<string, { name?: string }>;
  systemMessage?: string;
}

const message = z.object({ id: z.number(), author: z.string(), authorId: z.string(), time: z.string(), text: z.string() });
const token = z
  .string()
  .regex(/^[a-z0-9]{4,32}$/i)
  .describe('The conversation token from talk_list_conversations.');

/** Talk puts "{mention-user1}"-style placeholders in messages; put the names back. */
function render(m: Message): string {
  return m.message.replace(/\{([\w-]+)\}/g, (all, key: string) => m.messageParameters?.[key]?.name ?? all);
}

const shapeMessage = (m: Message) => ({
  id: m.id,
  author: m.actorDisplayName,
  authorId: m.actorId,
  time: new Date(m.timestamp * 1000).toISOString(),
  text: render(m),
});

export const talkTools: AnyToolSpec[] = [
  defineTool({
    name: 'talk_list_conversations',
    title: 'List Talk conversations',
    description: "List the user's Talk conversations (token, name, type, unread count), most recently active first.",
    app: 'talk',
    input: z.object({}),
    output: z.object({
      conversations: z.array(z.object({ token: z.string(), name: z.string(), type: z.string(), unread: z.number(), lastActivity: z.string() })),
    }),
    annotations: READ_ONLY,
    async run(_a, { conn }) {
      const rooms = await conn.ocs<Room[]>('GET', ROOMS, {}, 'the Talk conversations');
      return {
        conversations: rooms
          .sort((a, b) => b.lastActivity - a.lastActivity)
          .map((r) => ({
            token: r.token,
            name: r.displayName,
            type: ROOM_TYPES[r.type] ?? String(r.type),
            unread: r.unreadMessages,
            lastActivity: new Date(r.lastActivity * 1000).toISOString(),
          })),
      };
    },
  }),
  defineTool({
    name: 'talk_read_messages',
    title: 'Read Talk messages',
    description: 'Read the latest messages of a conversation, oldest first. Pass beforeId (the oldest id you have) to read further back.',
    app: 'talk',
    input: z.object({ token, limit: z.number().int().min(1).max(200).default(50), beforeId: z.number().int().positive().optional() }),
    output: z.object({ messages: z.array(message) }),
    annotations: READ_ONLY,
    async run({ token: t, limit, beforeId }, { conn }) {
      const params = { lookIntoFuture: 0, limit, setReadMarker: 0, ...(beforeId ? { lastKnownMessageId: beforeId } : {}) };
      const msgs = (await conn.ocs<Message[]>('GET', `${CHAT}/${t}`, params, `Talk conversation ${t}`)) ?? [];
      return {
        messages: msgs
          .filter((m) => !m.systemMessage)
          .map(shapeMessage)
          .sort((a, b) => a.id - b.id),
      };
    },
  }),
  defineTool({
    name: 'talk_send_message',
    title: 'Send a Talk message',
    description: 'Post a message to a conversation as the user.',
    app: 'talk',
    input: z.object({
      token,
      message: z.string().min(1).max(32_000),
      replyTo: z.number().int().positive().optional().describe('The id of a message to reply to.'),
    }),
    output: message,
    annotations: ADDS_TO,
    async run({ token: t, message: text, replyTo }, { conn }) {
      return shapeMessage(await conn.ocs<Message>('POST', `${CHAT}/${t}`, { message: text, ...(replyTo ? { replyTo } : {}) }, `Talk conversation ${t}`));
    },
  }),
];
