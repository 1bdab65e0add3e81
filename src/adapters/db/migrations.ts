import type { Sql } from './sql.ts';
import { emailKey } from '../../domain/email.ts';

/**
 * Ordered, append-only schema changes. Applied under a transaction-scoped advisory lock on PostgreSQL so
 * several instances starting together migrate once. Never edit a released entry; add a new one.
 */
interface Migration {
  version: number;
  name: string;
  sql: string;
  /** Runs after `sql`, in its transaction: data only code can compute. */
  after?: (tx: Sql) => Promise<void>;
}

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'inbound foundation',
    sql: `
      CREATE TABLE messages (
        id serial PRIMARY KEY,
        sid text NOT NULL UNIQUE,
        account_sid text NOT NULL,
        direction text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
        from_number text NOT NULL,
        to_number text NOT NULL,
        contact_key text NOT NULL,
        body text NOT NULL DEFAULT '',
        num_media int NOT NULL DEFAULT 0,
        params jsonb NOT NULL,
        status text NOT NULL,
        status_history jsonb NOT NULL DEFAULT '[]',
        encoding text,
        segments int,
        error_code int,
        error_message text,
        ticket_id int,
        routing jsonb,
        routed_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX messages_ticket ON messages (ticket_id, id);
      CREATE INDEX messages_contact ON messages (contact_key, id);

      -- The durable queue. Rows are deleted when done; a job that keeps failing stays as 'failed'.
      CREATE TABLE jobs (
        id serial PRIMARY KEY,
        queue text NOT NULL,
        key text NOT NULL,
        payload jsonb NOT NULL,
        state text NOT NULL DEFAULT 'ready' CHECK (state IN ('ready', 'running', 'failed')),
        attempts int NOT NULL DEFAULT 0,
        run_at timestamptz NOT NULL DEFAULT now(),
        locked_until timestamptz,
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX jobs_pending ON jobs (queue, id) WHERE state <> 'failed';
      CREATE INDEX jobs_key ON jobs (queue, key, id) WHERE state <> 'failed';

      CREATE TABLE blobs (
        id serial PRIMARY KEY,
        storage_key text NOT NULL UNIQUE,
        filename text NOT NULL,
        content_type text NOT NULL,
        size int NOT NULL,
        sha256 text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE media (
        id serial PRIMARY KEY,
        message_id int NOT NULL REFERENCES messages (id),
        idx int NOT NULL,
        source_url text NOT NULL,
        content_type text,
        state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'stored', 'missing')),
        blob_id int REFERENCES blobs (id),
        error text,
        UNIQUE (message_id, idx)
      );

      -- Which Twilio number a ticket is bound to (replies come from it) and its latest SMS activity.
      CREATE TABLE ticket_links (
        helpdesk text NOT NULL,
        ticket_id int NOT NULL,
        contact_key text NOT NULL,
        twilio_number text NOT NULL,
        last_activity_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (helpdesk, ticket_id)
      );
      CREATE INDEX ticket_links_recent ON ticket_links (helpdesk, contact_key, twilio_number, last_activity_at DESC);

      -- Local cache of helpdesk contact ids, so a follow-up text costs no contact look-up.
      CREATE TABLE contact_links (
        helpdesk text NOT NULL,
        contact_key text NOT NULL,
        contact_id int NOT NULL,
        PRIMARY KEY (helpdesk, contact_key)
      );

      -- The built-in helpdesk.
      CREATE TABLE hd_contacts (
        id serial PRIMARY KEY,
        phone text NOT NULL UNIQUE,
        name text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE hd_tickets (
        id serial PRIMARY KEY,
        subject text NOT NULL,
        status text NOT NULL CHECK (status IN ('open', 'pending', 'resolved', 'closed')),
        requester_id int NOT NULL REFERENCES hd_contacts (id),
        description_html text NOT NULL,
        follow_up_of int REFERENCES hd_tickets (id),
        tags text[] NOT NULL DEFAULT '{}',
        source_key text UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX hd_tickets_requester ON hd_tickets (requester_id, id);
      CREATE TABLE hd_notes (
        id serial PRIMARY KEY,
        ticket_id int NOT NULL REFERENCES hd_tickets (id),
        body_html text NOT NULL,
        incoming boolean NOT NULL,
        private boolean NOT NULL,
        source_key text UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX hd_notes_ticket ON hd_notes (ticket_id, id);
      CREATE TABLE hd_attachments (
        id serial PRIMARY KEY,
        ticket_id int NOT NULL REFERENCES hd_tickets (id),
        note_id int REFERENCES hd_notes (id),
        blob_id int NOT NULL REFERENCES blobs (id),
        filename text NOT NULL,
        content_type text NOT NULL,
        size int NOT NULL,
        sha256 text NOT NULL
      );
      CREATE INDEX hd_attachments_ticket ON hd_attachments (ticket_id);
    `,
  },
  {
    version: 2,
    name: 'outbound messages',
    sql: `
      -- An outbound message exists before Twilio gives it a SID.
      ALTER TABLE messages ALTER COLUMN sid DROP NOT NULL;
      ALTER TABLE messages ADD COLUMN media_urls jsonb NOT NULL DEFAULT '[]';
      -- Sending is recorded before the call to Twilio ('attempting'), so an unclear outcome (timeout, crash)
      -- is reconciled against Twilio's message list before any second attempt.
      ALTER TABLE messages ADD COLUMN send_state text
        CHECK (send_state IN ('pending', 'attempting', 'accepted', 'rejected'));
      ALTER TABLE messages ADD COLUMN send_attempts int NOT NULL DEFAULT 0;
      ALTER TABLE messages ADD COLUMN attempt_started_at timestamptz;
    `,
  },
  {
    version: 3,
    name: 'opt-outs, templates, sender budgets',
    sql: `
      -- Who may not be texted from where: a customer opted out of a number, or of a whole Messaging Service.
      CREATE TABLE opt_outs (
        account_sid text NOT NULL,
        sender text NOT NULL,
        customer text NOT NULL,
        opted_out boolean NOT NULL,
        keyword text NOT NULL,
        source text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (account_sid, sender, customer)
      );
      CREATE TABLE templates (
        id serial PRIMARY KEY,
        name text NOT NULL UNIQUE,
        body text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      -- Per-sender send budget shared by all instances: the earliest time the next segment may leave.
      CREATE TABLE sender_budgets (
        sender text PRIMARY KEY,
        next_at timestamptz NOT NULL
      );
    `,
  },
  {
    version: 4,
    name: 'early status callbacks',
    sql: `
      -- Twilio may call back about a message before its create call has answered (or before smsdesk recorded
      -- the SID): such callbacks wait here and are applied when the SID is recorded.
      CREATE TABLE early_status_callbacks (
        sid text NOT NULL,
        status text NOT NULL,
        error_code int,
        at timestamptz NOT NULL,
        PRIMARY KEY (sid, status)
      );
    `,
  },
  {
    version: 5,
    name: 'booked send slot',
    sql: `
      -- The slot a message booked in its sender's budget, kept while its job waits in the queue for it.
      ALTER TABLE messages ADD COLUMN send_slot_at timestamptz;
    `,
  },
  {
    version: 6,
    name: 'external helpdesks',
    sql: `
      -- Zendesk ids outgrow int (user ids of 12+ digits); Freshdesk's may too.
      ALTER TABLE messages ALTER COLUMN ticket_id TYPE bigint;
      ALTER TABLE ticket_links ALTER COLUMN ticket_id TYPE bigint;
      ALTER TABLE contact_links ALTER COLUMN contact_id TYPE bigint;
      -- Writes to a remote helpdesk, by idempotency key: 'started' before the call, 'done' with the remote id
      -- after it. A replay that finds 'started' looks in the helpdesk for the write before writing again.
      CREATE TABLE helpdesk_writes (
        helpdesk text NOT NULL,
        key text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('ticket', 'note')),
        state text NOT NULL CHECK (state IN ('started', 'done')),
        remote_id bigint,
        started_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (helpdesk, key)
      );
      -- "Did smsdesk write this note?": what keeps smsdesk's own notes from coming back as texts to send.
      CREATE INDEX helpdesk_writes_remote ON helpdesk_writes (helpdesk, remote_id);
      -- What threading needs of a remote ticket, as last seen (our own writes, helpdesk events, a fetch), so
      -- a follow-up text costs one call (the note) rather than a fetch and a note; and the attachment bytes
      -- smsdesk has put on it, for helpdesks that cap them per ticket.
      CREATE TABLE ticket_cache (
        helpdesk text NOT NULL,
        ticket_id bigint NOT NULL,
        status text NOT NULL,
        requester_id bigint NOT NULL,
        requester_phone text NOT NULL,
        updated_at timestamptz NOT NULL,
        seen_at timestamptz NOT NULL DEFAULT now(),
        attachment_bytes bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (helpdesk, ticket_id)
      );
      -- The newest agent message of each ticket already handled by auto-SMS (sent, or skipped as smsdesk's own).
      CREATE TABLE helpdesk_event_marks (
        helpdesk text NOT NULL,
        ticket_id bigint NOT NULL,
        handled_through bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (helpdesk, ticket_id)
      );
      -- An outbound message made from a helpdesk event (an agent's reply in Freshdesk…) names its source, so a
      -- replayed event queues it once; its delivery note is then private (the reply is on the ticket already).
      ALTER TABLE messages ADD COLUMN origin_key text UNIQUE;
      -- Keys smsdesk makes once and every instance shares (the signing key of attachment links).
      CREATE TABLE secrets (
        name text PRIMARY KEY,
        value text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    version: 7,
    name: 'agent console',
    sql: `
      -- People who sign in to the console. password_hash: scrypt$N$r$p$salt$hash (base64).
      CREATE TABLE users (
        id serial PRIMARY KEY,
        email text NOT NULL UNIQUE,
        name text NOT NULL,
        role text NOT NULL CHECK (role IN ('admin', 'agent')),
        password_hash text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      -- Signed-in browsers: the cookie carries the token; only its SHA-256 is kept.
      CREATE TABLE sessions (
        token_hash text PRIMARY KEY,
        user_id int NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        csrf_token text NOT NULL,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      -- Bearer tokens admins mint for integrations; only the SHA-256 is kept.
      CREATE TABLE api_tokens (
        id serial PRIMARY KEY,
        name text NOT NULL,
        token_hash text NOT NULL UNIQUE,
        created_by int REFERENCES users (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at timestamptz
      );
      -- Settings changed in the console, over the environment's defaults (key: 'threading', …).
      CREATE TABLE settings (
        key text PRIMARY KEY,
        value jsonb NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      -- How far each user has read each conversation (the newest message id they saw).
      CREATE TABLE ticket_reads (
        user_id int NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        helpdesk text NOT NULL,
        ticket_id bigint NOT NULL,
        read_through bigint NOT NULL,
        PRIMARY KEY (user_id, helpdesk, ticket_id)
      );
      CREATE INDEX messages_created ON messages (created_at, id);
    `,
  },
  {
    version: 8,
    name: 'ticket status history',
    sql: `
      -- Status changes seen by smsdesk (made through it, by a text reopening a ticket, or reported by the
      -- helpdesk's events), for the console's thread.
      CREATE TABLE ticket_status_events (
        id serial PRIMARY KEY,
        helpdesk text NOT NULL,
        ticket_id bigint NOT NULL,
        status text NOT NULL,
        previous text,
        changed_by text NOT NULL,
        at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX ticket_status_events_ticket ON ticket_status_events (helpdesk, ticket_id, id);
    `,
  },
  {
    version: 9,
    name: 'scheduled messages',
    sql: `
      -- A scheduled message waits as status 'scheduled' until send_at; held_by says why it was moved (quiet hours).
      -- origin: agent, api, helpdesk or automation:<id>; created_by: the agent who wrote it.
      ALTER TABLE messages ADD COLUMN send_at timestamptz;
      ALTER TABLE messages ADD COLUMN held_by text;
      ALTER TABLE messages ADD COLUMN origin text;
      ALTER TABLE messages ADD COLUMN created_by int REFERENCES users (id) ON DELETE SET NULL;
      CREATE INDEX messages_scheduled ON messages (send_at, id) WHERE status = 'scheduled';
      -- Due jobs are claimed in due-time order straight from this index, however many wait for later.
      CREATE INDEX jobs_due ON jobs (queue, run_at, id) WHERE state <> 'failed';
    `,
  },
  {
    version: 10,
    name: 'monthly usage',
    sql: `
      -- What each Twilio account handed to Twilio per calendar month (UTC), by sending number and destination
      -- country: the monthly limit is checked against it in the transaction that queues a message.
      CREATE TABLE usage_counters (
        account_sid text NOT NULL,
        month text NOT NULL,
        number text NOT NULL,
        country text NOT NULL,
        segments int NOT NULL DEFAULT 0,
        messages int NOT NULL DEFAULT 0,
        PRIMARY KEY (account_sid, month, number, country)
      );
      -- The account that owns a number (the last text to it), asked before each send.
      CREATE INDEX messages_inbound_to ON messages (to_number, id) WHERE direction = 'inbound';
      -- What the console knows of a customer beyond the helpdesk: their own time zone (wins over the number's).
      CREATE TABLE contact_prefs (
        contact_key text PRIMARY KEY,
        time_zone text,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    version: 11,
    name: 'status callbacks name their message',
    sql: `
      -- The StatusCallback URL carries the smsdesk message id (?message=<id>, covered by the signature): a
      -- callback for a SID not recorded yet says which message's create made it, the surest way to reconcile
      -- an attempt whose answer never came.
      ALTER TABLE early_status_callbacks ADD COLUMN message_id int;
      CREATE INDEX early_status_callbacks_message ON early_status_callbacks (message_id) WHERE message_id IS NOT NULL;
    `,
  },
  {
    version: 12,
    name: 'sign-in throttle, email keys',
    sql: `
      -- Failed (and in-flight) sign-ins per throttle key in a fixed window, shared by every instance. key: the
      -- SHA-256 of "address:<ip>" or "email:<emailKey> address:<ip>" (no email is kept in clear).
      CREATE TABLE sign_in_attempts (
        key text PRIMARY KEY,
        attempts int NOT NULL,
        window_ends timestamptz NOT NULL
      );
      CREATE INDEX sign_in_attempts_window ON sign_in_attempts (window_ends);
      -- Users are found by domain/email.ts's key, compared exactly (lower() followed the database's locale).
      ALTER TABLE users ADD COLUMN email_key text;
    `,
    async after(tx) {
      const seen = new Map<string, string>();
      for (const u of await tx.query<{ id: number; email: string }>('SELECT id, email FROM users ORDER BY id')) {
        const key = emailKey(u.email);
        const twin = seen.get(key);
        if (twin) throw new Error(`users ${twin} and ${u.email} are one address once compared as sign-in compares them; delete one (DELETE FROM users WHERE email = '…') and start again`);
        seen.set(key, u.email);
        await tx.query('UPDATE users SET email_key = $2 WHERE id = $1', [u.id, key]);
      }
      await tx.exec('ALTER TABLE users ALTER COLUMN email_key SET NOT NULL; CREATE UNIQUE INDEX users_by_email_key ON users (email_key);');
    },
  },
  {
    version: 13,
    name: 'events outbox, automations',
    sql: `
      -- What happened (a ticket created, a status changed, a text received…), each once by its dedupe key, with
      -- the job that hands it to automations and outgoing webhooks inserted in the same statement.
      -- caused_by: the automations whose actions led to it (an automation never reacts to its own doing).
      CREATE TABLE domain_events (
        id text PRIMARY KEY,
        dedupe_key text NOT NULL UNIQUE,
        type text NOT NULL,
        helpdesk text NOT NULL,
        ticket_id bigint,
        data jsonb NOT NULL,
        caused_by int[] NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX domain_events_ticket ON domain_events (helpdesk, ticket_id, created_at);
      -- Automations: when (trigger) → if → then, as the admin wrote them (spec, validated by domain/automations).
      CREATE TABLE automations (
        id serial PRIMARY KEY,
        name text NOT NULL,
        enabled boolean NOT NULL DEFAULT true,
        trigger text NOT NULL,
        -- json, not jsonb: an ask's answers keep the order the admin wrote them in.
        spec json NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX automations_trigger ON automations (trigger) WHERE enabled;
      -- One run per automation and event: its decision is stored before any action runs (fired, or why not),
      -- then each action's outcome as it happens, so a replay repeats the same actions and none twice.
      CREATE TABLE automation_runs (
        id serial PRIMARY KEY,
        automation_id int NOT NULL REFERENCES automations (id) ON DELETE CASCADE,
        event_id text NOT NULL,
        event_type text NOT NULL,
        ticket_id bigint,
        fired boolean NOT NULL,
        reason text NOT NULL,
        actions jsonb NOT NULL DEFAULT '[]',
        state text NOT NULL CHECK (state IN ('skipped', 'running', 'done', 'failed')),
        created_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        UNIQUE (automation_id, event_id)
      );
      CREATE INDEX automation_runs_recent ON automation_runs (automation_id, id DESC);
      -- branch: which list of the automation the run's actions are (null: its "then"; "answers.YES" or
      -- "onTimeout" of the ask at then[n]: "then.2.answers.YES").
      ALTER TABLE automation_runs ADD COLUMN branch text;
      -- A question an automation texted (a CSAT survey, an ask) waiting for the customer's answer on that number:
      -- routing looks here before any threading rule, so the answer lands on the ticket that asked.
      CREATE TABLE awaiting_replies (
        id serial PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('survey', 'ask')),
        automation_id int REFERENCES automations (id) ON DELETE CASCADE,
        run_id int NOT NULL,
        action_index int NOT NULL,
        helpdesk text NOT NULL,
        ticket_id bigint NOT NULL,
        customer text NOT NULL,
        twilio_number text NOT NULL,
        answers text[] NOT NULL DEFAULT '{}',
        expires_at timestamptz NOT NULL,
        state text NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'answered', 'expired')),
        answer text,
        answer_message_id int,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (run_id, action_index)
      );
      CREATE INDEX awaiting_replies_waiting ON awaiting_replies (customer, twilio_number, id DESC) WHERE state = 'waiting';
      -- CSAT ratings, with who and what they rate (the agent who last replied, the number, its group) as of then.
      CREATE TABLE csat_ratings (
        id serial PRIMARY KEY,
        helpdesk text NOT NULL,
        ticket_id bigint NOT NULL,
        rating int NOT NULL CHECK (rating BETWEEN 1 AND 5),
        comment text NOT NULL DEFAULT '',
        agent_id int REFERENCES users (id) ON DELETE SET NULL,
        twilio_number text,
        number_group text,
        message_id int UNIQUE,
        awaiting_id int,
        at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX csat_ratings_ticket ON csat_ratings (helpdesk, ticket_id, id DESC);
      CREATE INDEX csat_ratings_at ON csat_ratings (at);
      -- A remote ticket's priority as last seen, so an event that changed it is a ticket.priority_changed.
      ALTER TABLE ticket_cache ADD COLUMN priority text;
    `,
  },
  {
    version: 14,
    name: 'outgoing webhooks',
    sql: `
      -- Where events are POSTed. secret: AES-256-GCM under the shared key 'webhook-secrets' (the secrets table),
      -- base64(iv ‖ tag ‖ ciphertext); secret_hint: its last characters, what the API shows after creation.
      -- decide: asked before an inbound text is routed (message.received), instead of being told after.
      CREATE TABLE webhook_subscriptions (
        id serial PRIMARY KEY,
        url text NOT NULL,
        events text[] NOT NULL,
        secret text NOT NULL,
        secret_hint text NOT NULL,
        decide boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        created_by int REFERENCES users (id) ON DELETE SET NULL
      );
      -- One delivery per subscription and event (event_id: the envelope's id, stable across retries and
      -- resends). kind 'decide': an inbound filter's question, asked once. A resend starts a new series: its
      -- attempts are counted afresh and its 24 h window starts at its first attempt.
      CREATE TABLE webhook_deliveries (
        id serial PRIMARY KEY,
        subscription_id int NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
        event_id text NOT NULL,
        type text NOT NULL,
        kind text NOT NULL DEFAULT 'event' CHECK (kind IN ('event', 'decide')),
        status text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
        series int NOT NULL DEFAULT 1,
        attempts int NOT NULL DEFAULT 0,
        last_status_code int,
        last_error text,
        first_attempt_at timestamptz,
        next_attempt_at timestamptz,
        delivered_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (subscription_id, event_id)
      );
      CREATE INDEX webhook_deliveries_recent ON webhook_deliveries (subscription_id, id DESC);
      -- Every attempt: the receiver's status code, or why there was none.
      CREATE TABLE webhook_attempts (
        id bigserial PRIMARY KEY,
        delivery_id int NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
        series int NOT NULL,
        at timestamptz NOT NULL,
        status_code int,
        error text,
        duration_ms int NOT NULL,
        CHECK (status_code IS NOT NULL OR error IS NOT NULL)
      );
      CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);
      -- An inbound filter's verdict on a text, recorded before routing goes on: a replayed routing job finds
      -- it and asks nobody again. webhook_id: the subscription whose rejection stands.
      CREATE TABLE inbound_filter_verdicts (
        message_id int PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
        action text NOT NULL CHECK (action IN ('accept', 'reject')),
        reason text,
        webhook_id int,
        decided_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
];

export async function migrate(sql: Sql): Promise<number> {
  return sql.transaction(async (tx) => {
    if (tx.kind === 'postgres') await tx.query('SELECT pg_advisory_xact_lock(7301)');
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set((await tx.query<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => r.version));
    let applied = 0;
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      await tx.exec(m.sql);
      await m.after?.(tx);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied++;
    }
    return applied;
  });
}
