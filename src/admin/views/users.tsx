import { ROLES } from '../../db/schema';
import type { ListResult, UserFilters, UserListRow } from '../queries';
import {
  Badge,
  CsrfField,
  Empty,
  Filters,
  Pager,
  PastTheEnd,
  Select,
  TableWrap,
  TextInput,
  Time,
} from './components';
import { Layout, type PageContext, PageHead } from './layout';

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

export function UsersPage({ ctx, url, filters, result, page, pageSize }: UsersPageProps) {
  const canEdit = ctx.role === 'ADMIN';
  return (
    <Layout ctx={ctx} title="Users" section="users">
      <PageHead
        title="Users"
        lead={
          canEdit
            ? 'Every account. Role and activation changes are audit-logged and end the user’s admin sessions.'
            : 'Every account. Only administrators can change roles or activation.'
        }
      />
      <Filters action="/admin/users">
        <TextInput name="search" label="Search username or e-mail" type="search" value={filters.search} />
        <Select
          name="role"
          label="Role"
          value={filters.role}
          options={[{ value: '', label: 'Any role' }, ...ROLES.map((r) => ({ value: r, label: r }))]}
        />
        <Select
          name="active"
          label="Status"
          value={filters.active === undefined ? '' : String(filters.active)}
          options={[
            { value: '', label: 'Any status' },
            { value: 'true', label: 'Active' },
            { value: 'false', label: 'Inactive' },
          ]}
        />
      </Filters>
      {result.rows.length === 0 ? (
        page > 1 ? (
          <PastTheEnd url={url} />
        ) : (
          <Empty>No users match these filters.</Empty>
        )
      ) : (
        <TableWrap label="Users">
          <table>
            <thead>
              <tr>
                <th class="num">Id</th>
                <th>Username</th>
                <th>E-mail</th>
                <th>Role</th>
                <th>Status</th>
                <th>Joined</th>
                <th>Last login</th>
                <th>Customer</th>
                {canEdit ? <th>Change access</th> : null}
              </tr>
            </thead>
            <tbody>
              {result.rows.map((user) => (
                <tr>
                  <td class="num">{user.id}</td>
                  <td>{user.username}</td>
                  <td>{user.email}</td>
                  <td>
                    <Badge value={user.role} label={user.role} />
                  </td>
                  <td>
                    <Badge value={user.isActive ? 'active' : 'inactive'} />
                  </td>
                  <td>
                    <Time value={user.dateJoined} />
                  </td>
                  <td>
                    <Time value={user.lastLogin} />
                  </td>
                  <td>
                    {user.customerId !== null ? (
                      <a href={`/admin/customers/${user.customerId}`}>#{user.customerId}</a>
                    ) : (
                      <span class="muted">—</span>
                    )}
                  </td>
                  {canEdit ? (
                    <td>
                      <AccessForm
                        user={user}
                        csrfToken={ctx.csrfToken}
                        back={`${url.pathname}${url.search}`}
                      />
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <Pager url={url} page={page} pageSize={pageSize} total={result.total} shown={result.rows.length} />
    </Layout>
  );
}
