import type { ApiKeyRow } from '../../api-keys/service';
import { API_KEY_SCOPES, type ApiKeyScope } from '../../db/schema';
import { Badge, CsrfField, Empty, TableWrap, TextInput, Time } from '../common/components';
import { Layout, type PageContext, PageHead } from '../common/layout';

/** What each scope allows (docs/api-keys.md §2), shown next to its checkbox. */
const SCOPE_HELP: Record<ApiKeyScope, string> = {
  'payments:read': 'List and read every transaction',
  'payments:write': 'Create payments for a named customer',
  'refunds:write': 'Refund and void payments (audit-logged)',
  'customers:read': 'Read customers’ KYC records and documents',
};

const crumbs = <a href="/admin/api-keys">API keys</a>;

function CreateForm({ ctx, name, errors }: { ctx: PageContext; name?: string; errors?: string[] }) {
  return (
    <section class="panel" aria-labelledby="create-key">
      <h2 id="create-key">Create a key</h2>
      <form method="post" action="/admin/api-keys">
        <CsrfField token={ctx.csrfToken} />
        <TextInput
          name="name"
          label="Name (who uses it)"
          value={name}
          maxlength={100}
          required
          errors={errors}
        />
        <fieldset class="field">
          <legend>Scopes</legend>
          {API_KEY_SCOPES.map((scope) => (
            <label>
              <input type="checkbox" name={`scope:${scope}`} value="on" /> <code>{scope}</code> —{' '}
              {SCOPE_HELP[scope]}
            </label>
          ))}
        </fieldset>
        <button type="submit">Create key</button>
      </form>
    </section>
  );
}

/** ADMIN only: every key (revoked ones too), the create form, and a revoke button per active key. */
export function ApiKeysPage({
  ctx,
  keys,
  form,
}: {
  ctx: PageContext;
  keys: ApiKeyRow[];
  form?: { name?: string; errors?: string[] };
}) {
  return (
    <Layout ctx={ctx} title="API keys" section="api-keys">
      <PageHead
        title="API keys"
        lead="Server keys for merchant backends (Authorization: Bearer sk_…). The secret is shown once, when the key is created; only its SHA-256 is stored."
      />
      <CreateForm ctx={ctx} name={form?.name} errors={form?.errors} />
      {keys.length === 0 ? (
        <Empty>No API keys yet.</Empty>
      ) : (
        <TableWrap label="API keys">
          <table>
            <thead>
              <tr>
                <th>Name</th>
                <th>Prefix</th>
                <th>Scopes</th>
                <th>Created</th>
                <th>Last used</th>
                <th>Status</th>
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {keys.map((key) => (
                <tr>
                  <td>{key.name}</td>
                  <td class="mono">{key.prefix}…</td>
                  <td>
                    {key.scopes.map((scope) => (
                      <code>{scope} </code>
                    ))}
                  </td>
                  <td>
                    <Time value={key.createdAt} />
                  </td>
                  <td>
                    <Time value={key.lastUsedAt} />
                  </td>
                  <td>
                    {key.revokedAt ? (
                      <>
                        <Badge value="revoked" /> <Time value={key.revokedAt} />
                      </>
                    ) : (
                      <Badge value="active" />
                    )}
                  </td>
                  <td>
                    {key.revokedAt ? null : (
                      <a class="button button-small button-danger" href={`/admin/api-keys/${key.id}/revoke`}>
                        Revoke…
                      </a>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </Layout>
  );
}

/** The page after creating a key: the only place its secret ever appears. */
export function CreatedKeyPage({ ctx, key, secret }: { ctx: PageContext; key: ApiKeyRow; secret: string }) {
  return (
    <Layout ctx={ctx} title="API key created" section="api-keys">
      <PageHead title={`API key “${key.name}” created`} crumbs={crumbs} />
      <section class="panel" aria-labelledby="secret">
        <h2 id="secret">Copy the secret now</h2>
        <p>
          <strong>This is the only time it is shown.</strong> StackPay stores only its hash; if it is lost,
          revoke the key and create another.
        </p>
        <p>
          <code class="mono" id="api-key-secret">
            {secret}
          </code>
        </p>
        <p class="muted">
          Scopes: {key.scopes.join(', ')}. Use it as <code>Authorization: Bearer {key.prefix}…</code>.
        </p>
        <a class="button" href="/admin/api-keys">
          Done
        </a>
      </section>
    </Layout>
  );
}

/** Revoking is final: a confirmation page first, whose POST carries a one-shot nonce. */
export function RevokeConfirmPage({ ctx, key, nonce }: { ctx: PageContext; key: ApiKeyRow; nonce: string }) {
  return (
    <Layout ctx={ctx} title={`Revoke API key ${key.name}`} section="api-keys">
      <PageHead title={`Revoke API key “${key.name}”`} crumbs={<>{crumbs} / revoke</>} />
      <section class="panel" aria-labelledby="confirm">
        <h2 id="confirm">Please confirm</h2>
        <dl class="fields">
          <dt>Prefix</dt>
          <dd class="mono">{key.prefix}…</dd>
          <dt>Scopes</dt>
          <dd>{key.scopes.join(', ')}</dd>
          <dt>Last used</dt>
          <dd>
            <Time value={key.lastUsedAt} />
          </dd>
        </dl>
        <p>
          <strong>Every request with this key will be refused at once.</strong> This cannot be undone; it is
          recorded in the audit log under your name.
        </p>
        <form method="post" action={`/admin/api-keys/${key.id}/revoke`} class="actions">
          <CsrfField token={ctx.csrfToken} />
          <input type="hidden" name="confirmation" value={nonce} />
          <button type="submit" class="button-danger">
            Confirm revoke
          </button>
          <a class="button button-secondary" href="/admin/api-keys">
            Cancel
          </a>
        </form>
      </section>
    </Layout>
  );
}
