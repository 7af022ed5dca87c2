import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/lib/errors';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, pageRequest, pageResponse } from '../../src/lib/pagination';

const URL_BASE = 'https://api.example.com/api/v1/things/?status=open';

function expectInvalidPage(run: () => unknown) {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).status).toBe(404);
    expect((err as AppError).message).toBe('Invalid page.');
    return;
  }
  throw new Error('expected a 404 Invalid page.');
}

describe('pagination (docs/api.md §1)', () => {
  it.each<[Record<string, string | undefined>, number, number]>([
    [{}, 1, DEFAULT_PAGE_SIZE],
    [{ page: '3', page_size: '25' }, 3, 25],
    [{ page_size: '1000' }, 1, MAX_PAGE_SIZE],
    [{ page_size: '0' }, 1, DEFAULT_PAGE_SIZE],
    [{ page_size: 'abc' }, 1, DEFAULT_PAGE_SIZE],
    [{ page_size: '-4' }, 1, DEFAULT_PAGE_SIZE],
    [{ page: '' }, 1, DEFAULT_PAGE_SIZE],
  ])('reads %j as page %i of size %i', (query, page, pageSize) => {
    expect(pageRequest(query)).toEqual({ page, pageSize, offset: (page - 1) * pageSize });
  });

  it.each(['0', '-1', 'abc', '1.5', '99999999999'])('answers page=%s with 404 "Invalid page."', (page) => {
    expectInvalidPage(() => pageRequest({ page }));
  });

  it('builds absolute next/previous URLs that keep the other parameters', () => {
    const body = pageResponse(URL_BASE, pageRequest({ page: '2', page_size: '10' }), 35, ['x']);
    expect(body).toEqual({
      count: 35,
      next: 'https://api.example.com/api/v1/things/?status=open&page=3',
      previous: 'https://api.example.com/api/v1/things/?status=open',
      results: ['x'],
    });
  });

  it('has no next on the last page and no previous on the first', () => {
    expect(pageResponse(URL_BASE, pageRequest({ page: '4' }), 35, []).next).toBeNull();
    expect(pageResponse(URL_BASE, pageRequest({}), 35, []).previous).toBeNull();
  });

  it('answers page 1 of an empty list, and 404 for any page past the end', () => {
    expect(pageResponse(URL_BASE, pageRequest({}), 0, [])).toEqual({
      count: 0,
      next: null,
      previous: null,
      results: [],
    });
    expectInvalidPage(() => pageResponse(URL_BASE, pageRequest({ page: '2' }), 0, []));
    expectInvalidPage(() => pageResponse(URL_BASE, pageRequest({ page: '5' }), 35, []));
  });
});
