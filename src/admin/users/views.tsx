import { ROLES } from '../../db/schema';
import { Badge, CsrfField, choices, Select, TextInput, Time, yesNoChoices } from '../common/components';
import type { PageContext } from '../common/layout';
import { type Column, ListPage } from '../common/list';
import type { ListResult } from '../common/queries';
import type { UserFilters, UserListRow } from './queries';

export interface UsersPageProps {
  ctx: PageContext;
  url: URL;
  filters: UserFilters;
  result: ListResult<UserListRow>;
  page: number;
  pageSize: number;
}

/** The ADMIN-only access form of one row: role and activation, saved through the users service. */
function AccessForm({ user, csrfToken, back }: { user: UserListRow; csrfToken: string; back: string }) {
  const id = `user-${user.id}`;
  return (
    <form
      method="post"
      action={`/admin/users/${user.id}`}
      class="actions"
      aria-label={`Access of ${user.username}`}
    >
      <CsrfField token={csrfToken} />
      <input type="hidden" name="back" value={back} />
      <input type="hidden" name="was_role" value={user.role} />
      <input type="hidden" name="was_active" value={String(user.isActive)} />
      <label class="visually-hidden" for={`${id}-role`}>
        Role of {user.username}
      </label>
      <select id={`${id}-role`} name="role_management">
        {ROLES.map((role) => (
          <option value={role} selected={role === user.role}>
            {role}
          </option>
        ))}
      </select>
      <label class="visually-hidden" for={`${id}-active`}>
        Activation of {user.username}
      </label>
      <select id={`${id}-active`} name="is_active">
        <option value="true" selected={user.isActive}>
          Active
        </option>
        <option value="false" selected={!user.isActive}>
          Inactive
        </option>
      </select>
      <button type="submit" class="button-small">
        Save
      </button>
    </form>
  );
}

/** ADMIN only: a new STAFF or ADMIN account; its owner chooses the password from an e-mailed link. */
function CreateStaffForm({ csrfToken }: { csrfToken: string }) {
  return (
    <section class="panel" aria-labelledby="create-staff">
      <h2 id="create-staff">Add a staff member</h2>
      <p class="muted">
        Nobody chooses a password for them: they get an e-mail with a single-use link (72 hours) to set their
        own, and nobody can sign in as them until they do. Deactivating the account kills the link.
      </p>
      <form method="post" action="/admin/users/new" class="filters">
        <CsrfField token={csrfToken} />
        <TextInput name="username" id="new-username" label="Username" maxlength={150} required />
        <TextInput name="email" id="new-email" label="E-mail" type="email" maxlength={254} required />
        <Select
          name="role_management"
          id="new-role"
          label="Role"
          value="STAFF"
          options={[
            { value: 'STAFF', label: 'STAFF' },
            { value: 'ADMIN', label: 'ADMIN' },
          ]}
        />
        <div class="actions">
          <button type="submit">Create and e-mail the link</button>
        </div>
      </form>
    </section>
  );
}

/** A new set-password link for an account whose owner has not chosen a password yet. */
function ResendLinkForm({ user, csrfToken, back }: { user: UserListRow; csrfToken: string; back: string }) {
  return (
    <form
      method="post"
      action={`/admin/users/${user.id}/set-password-link`}
      class="actions"
      aria-label={`Set-password link of ${user.username}`}
    >
      <CsrfField token={csrfToken} />
      <input type="hidden" name="back" value={back} />
      <button type="submit" class="button-small button-secondary">
        Re-send password link
      </button>
    </form>
  );
}

export function UsersPage({ ctx, url, filters, result, page, pageSize }: UsersPageProps) {
  const canEdit = ctx.role === 'ADMIN';
  const columns: Column<UserListRow>[] = [
    { header: 'Id', num: true, cell: (user) => user.id },
    { header: 'Username', cell: (user) => user.username },
    { header: 'E-mail', cell: (user) => user.email },
    { header: 'Role', cell: (user) => <Badge value={user.role} label={user.role} /> },
    {
      header: 'Status',
      cell: (user) =>
        user.passwordPending && user.isActive ? (
          <Badge value="pending" label="Password not set" />
        ) : (
          <Badge value={user.isActive ? 'active' : 'inactive'} />
        ),
    },
    { header: 'Joined', cell: (user) => <Time value={user.dateJoined} /> },
    { header: 'Last login', cell: (user) => <Time value={user.lastLogin} /> },
    {
      header: 'Customer',
      cell: (user) =>
        user.customerId !== null ? (
          <a href={`/admin/customers/${user.customerId}`}>#{user.customerId}</a>
        ) : (
          <span class="muted">—</span>
        ),
    },
  ];
  if (canEdit) {
    columns.push({
      header: 'Change access',
      cell: (user) => {
        const back = `${url.pathname}${url.search}`;
        return (
          <>
            <AccessForm user={user} csrfToken={ctx.csrfToken} back={back} />
            {user.passwordPending ? (
              <ResendLinkForm user={user} csrfToken={ctx.csrfToken} back={back} />
            ) : null}
          </>
        );
      },
    });
  }
  if (canEdit) {
    // Two-factor reset and password-reset e-mail: src/admin/users/security-routes.ts.
    columns.push({
      header: 'Security',
      cell: (user) => <a href={`/admin/users/${user.id}/security`}>Security…</a>,
    });
  }
  return (
    <ListPage
      ctx={ctx}
      section="users"
      title="Users"
      lead={
        canEdit
          ? 'Every account. Creating staff, role and activation changes are audit-logged; a change of access ends the user’s admin sessions.'
          : 'Every account. Only administrators can change roles or activation.'
      }
      url={url}
      filters={
        <>
          <TextInput name="search" label="Search username or e-mail" type="search" value={filters.search} />
          <Select
            name="role"
            label="Role"
            value={filters.role}
            options={choices('Any role', ROLES, (r) => r)}
          />
          <Select
            name="active"
            label="Status"
            value={filters.active === undefined ? '' : String(filters.active)}
            options={yesNoChoices('Any status', 'Active', 'Inactive')}
          />
        </>
      }
      columns={columns}
      result={result}
      page={page}
      pageSize={pageSize}
      empty="No users match these filters."
      extra={canEdit ? <CreateStaffForm csrfToken={ctx.csrfToken} /> : undefined}
    />
  );
}
