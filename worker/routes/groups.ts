// The group calls of the session-key surface: list, create, read, update, participants, invite, join and
// leave, each on the groups of the key's own session. `groupId` is taken with or without `@g.us`.
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { GroupInfo, GroupSummary, ParticipantAction, ParticipantResult } from '../../shared/protocol.ts';
import type { AppEnv } from '../app-env.ts';
import { apiKeyAuth } from '../middleware/api-key-auth.ts';
import { ErrorSchema, PhoneInputSchema, text } from '../schemas.ts';
import { changeParticipants, createGroup, getGroup, groupInvite, joinGroup, leaveGroup, listGroups, updateGroup } from '../services/groups.ts';
import { throwOnInvalid } from '../validation.ts';

const GROUP_ID_EXAMPLE = '120363012345678901@g.us';

const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, { description: 'Error', content: { 'application/json': { schema: ErrorSchema } } }]));
const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
const body = <T extends z.ZodType>(schema: T) => ({ body: { content: { 'application/json': { schema } }, required: true } });
const keyed = [{ apiKey: [] }];
/** Every group call asks WhatsApp through the connector, so each can meet these. */
const commandErrors = [401, 409, 429, 502, 503, 504];

const Group = GroupInfo.openapi('Group', {
  example: {
    id: GROUP_ID_EXAMPLE,
    subject: 'Night shift',
    description: 'Rota and handovers',
    owner: '6281234567890',
    announce: false,
    locked: true,
    size: 2,
    createdAt: 1_764_590_400_000,
    participants: [
      { phone: '6281234567890', lid: '104839201938475@lid', role: 'superadmin' },
      { phone: '6289876543210', lid: '204839201938476@lid', role: 'member' },
    ],
  },
});
const GroupListItem = GroupSummary.openapi('GroupSummary');

const GroupIdParam = z.object({
  groupId: text('a group id')
    .min(1)
    .max(64, 'must be at most 64 characters')
    .openapi({ param: { name: 'groupId', in: 'path' }, example: GROUP_ID_EXAMPLE, description: 'With or without "@g.us"' }),
});

const Phones = z
  .array(PhoneInputSchema, { error: (issue) => (issue.input === undefined ? 'is required' : 'must be a list of phone numbers') })
  .max(1_023, 'must be at most 1023 phones');

const CreateBody = z
  .object({
    subject: text('text').min(1, 'is required').max(100, 'must be at most 100 characters'),
    participants: Phones,
  })
  .strict()
  .openapi('CreateGroupRequest', { example: { subject: 'Night shift', participants: ['6289876543210'] } });

const UpdateBody = z
  .object({
    subject: text('text').min(1, 'must not be empty').max(100, 'must be at most 100 characters').optional(),
    description: text('text').max(2048, 'must be at most 2048 characters').optional().openapi({ description: '"" clears it' }),
    announce: z.boolean({ error: 'must be true or false' }).optional().openapi({ description: 'Only admins may send' }),
    locked: z.boolean({ error: 'must be true or false' }).optional().openapi({ description: 'Only admins may edit the subject, description and settings' }),
  })
  .strict()
  .openapi('UpdateGroupRequest', { example: { subject: 'Night shift (Dec)', announce: true } });

const ParticipantsBody = z
  .object({
    action: z.enum(ParticipantAction.options, { error: `must be one of: ${ParticipantAction.options.join(', ')}` }),
    participants: Phones.min(1, 'must name at least one phone'),
  })
  .strict()
  .openapi('GroupParticipantsRequest', { example: { action: 'add', participants: ['6289876543210', '6281111111111'] } });

const JoinBody = z
  .object({ code: text('an invite code or link').min(1, 'is required').max(256, 'must be at most 256 characters') })
  .strict()
  .openapi('JoinGroupRequest', { example: { code: 'https://chat.whatsapp.com/Fq3vXk2mP9aB7cD1eF4gH5' } });

const Invite = z.object({
  success: z.literal(true),
  code: z.string().openapi({ example: 'Fq3vXk2mP9aB7cD1eF4gH5' }),
  link: z.string().openapi({ example: 'https://chat.whatsapp.com/Fq3vXk2mP9aB7cD1eF4gH5' }),
});
const GroupAnswer = z.object({ success: z.literal(true), group: Group });
const Membership = z.object({ success: z.literal(true), groupId: z.string().openapi({ example: GROUP_ID_EXAMPLE }) });

const listRoute = createRoute({
  method: 'get',
  path: '/api/groups',
  summary: 'The groups this session is in (without their members; read one group for those)',
  security: keyed,
  middleware: [apiKeyAuth('other')] as const,
  responses: { 200: json(z.object({ success: z.literal(true), groups: z.array(GroupListItem) }), 'The groups'), ...errors(...commandErrors) },
});

const createGroupRoute = createRoute({
  method: 'post',
  path: '/api/groups',
  summary: 'Create a group with this session as its owner',
  description: 'Phones WhatsApp would not let be added (privacy settings, not on WhatsApp) are left out of `participants`; add them later to see why.',
  security: keyed,
  middleware: [apiKeyAuth('send')] as const,
  request: body(CreateBody),
  responses: { 201: json(GroupAnswer, 'Created'), ...errors(400, 413, 415, ...commandErrors) },
});

const getRoute = createRoute({
  method: 'get',
  path: '/api/groups/{groupId}',
  summary: "A group's subject, description, owner, settings and members (phone, LID and role)",
  security: keyed,
  middleware: [apiKeyAuth('other')] as const,
  request: { params: GroupIdParam },
  responses: { 200: json(GroupAnswer, 'The group as WhatsApp has it now'), ...errors(400, 404, ...commandErrors) },
});

const updateRoute = createRoute({
  method: 'patch',
  path: '/api/groups/{groupId}',
  summary: "Change a group's subject, description, `announce` (only admins send) or `locked` (only admins edit)",
  security: keyed,
  middleware: [apiKeyAuth('send')] as const,
  request: { params: GroupIdParam, ...body(UpdateBody) },
  responses: { 200: json(GroupAnswer, 'The group after the change'), ...errors(400, 403, 404, 413, 415, ...commandErrors) },
});

const participantsRoute = createRoute({
  method: 'post',
  path: '/api/groups/{groupId}/participants',
  summary: 'Add, remove, promote or demote members; WhatsApp answers for each one',
  description:
    '`outcome` per phone: OK, PRIVACY (their settings refuse adds; send them the invite link), NOT_FOUND (not on WhatsApp, or not a member), RECENTLY_LEFT, ALREADY_MEMBER, NOT_AUTHORISED, FAILED. `status` is WhatsApp\'s own code.',
  security: keyed,
  middleware: [apiKeyAuth('send')] as const,
  request: { params: GroupIdParam, ...body(ParticipantsBody) },
  responses: {
    200: json(
      z.object({ success: z.literal(true), results: z.array(ParticipantResult.openapi('GroupParticipantResult')) }).openapi({
        example: {
          success: true,
          results: [
            { phone: '6289876543210', status: 200, outcome: 'OK' },
            { phone: '6281111111111', status: 403, outcome: 'PRIVACY' },
          ],
        },
      }),
      'One result per phone, in the order given',
    ),
    ...errors(400, 403, 404, 413, 415, ...commandErrors),
  },
});

const inviteRoute = createRoute({
  method: 'get',
  path: '/api/groups/{groupId}/invite',
  summary: "The group's invite code and link (admins only)",
  security: keyed,
  middleware: [apiKeyAuth('other')] as const,
  request: { params: GroupIdParam },
  responses: { 200: json(Invite, 'The invite'), ...errors(400, 403, 404, ...commandErrors) },
});

const revokeRoute = createRoute({
  method: 'post',
  path: '/api/groups/{groupId}/invite/revoke',
  summary: 'Replace the invite code; the old link stops working (admins only)',
  security: keyed,
  middleware: [apiKeyAuth('send')] as const,
  request: { params: GroupIdParam },
  responses: { 200: json(Invite, 'The new invite'), ...errors(400, 403, 404, ...commandErrors) },
});

const joinRoute = createRoute({
  method: 'post',
  path: '/api/groups/join',
  summary: 'Join a group by its invite code or link',
  security: keyed,
  middleware: [apiKeyAuth('send')] as const,
  request: body(JoinBody),
  responses: { 200: json(Membership, 'Joined'), ...errors(400, 404, 413, 415, ...commandErrors) },
});

const leaveRoute = createRoute({
  method: 'post',
  path: '/api/groups/{groupId}/leave',
  summary: 'Leave a group',
  security: keyed,
  middleware: [apiKeyAuth('send')] as const,
  request: { params: GroupIdParam },
  responses: { 200: json(Membership, 'Left'), ...errors(400, 404, ...commandErrors) },
});

export const groupRoutes = new OpenAPIHono<AppEnv>({ defaultHook: throwOnInvalid });

groupRoutes.openapi(listRoute, async (c) => c.json({ success: true as const, groups: await listGroups(c.var.services, c.var.sessionId) }, 200));

groupRoutes.openapi(createGroupRoute, async (c) => c.json({ success: true as const, group: await createGroup(c.var.services, c.var.sessionId, c.req.valid('json')) }, 201));

groupRoutes.openapi(joinRoute, async (c) => c.json({ success: true as const, groupId: await joinGroup(c.var.services, c.var.sessionId, c.req.valid('json').code) }, 200));

groupRoutes.openapi(getRoute, async (c) => c.json({ success: true as const, group: await getGroup(c.var.services, c.var.sessionId, c.req.valid('param').groupId) }, 200));

groupRoutes.openapi(updateRoute, async (c) => {
  const group = await updateGroup(c.var.services, c.var.sessionId, c.req.valid('param').groupId, c.req.valid('json'));
  return c.json({ success: true as const, group }, 200);
});

groupRoutes.openapi(participantsRoute, async (c) => {
  const results = await changeParticipants(c.var.services, c.var.sessionId, c.req.valid('param').groupId, c.req.valid('json'));
  return c.json({ success: true as const, results }, 200);
});

groupRoutes.openapi(inviteRoute, async (c) => c.json({ success: true as const, ...(await groupInvite(c.var.services, c.var.sessionId, c.req.valid('param').groupId, false)) }, 200));

groupRoutes.openapi(revokeRoute, async (c) => c.json({ success: true as const, ...(await groupInvite(c.var.services, c.var.sessionId, c.req.valid('param').groupId, true)) }, 200));

groupRoutes.openapi(leaveRoute, async (c) => c.json({ success: true as const, groupId: await leaveGroup(c.var.services, c.var.sessionId, c.req.valid('param').groupId) }, 200));
