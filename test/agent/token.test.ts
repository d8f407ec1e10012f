import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inspect } from 'node:util';
import { BearerToken, parseBearer } from '../../agent/token.js';

describe('parseBearer', () => {
  test('takes the token of a Bearer header, the scheme in any case', () => {
    assert.equal(parseBearer('Bearer abc.def'), 'abc.def');
    assert.equal(parseBearer('bearer abc'), 'abc');
    assert.equal(parseBearer('BEARER  abc '), 'abc');
  });

  test('anything else is no token', () => {
    for (const header of [undefined, '', 'Bearer', 'Bearer ', 'Basic YTpi', 'Bearer a b', 'Bearerabc']) {
      assert.equal(parseBearer(header), undefined, String(header));
    }
    assert.equal(parseBearer(['Bearer a', 'Bearer b']), undefined);
  });
});

describe('BearerToken', () => {
  const token = new BearerToken('s3cret-token');

  test('matches only the configured token, whatever the length presented', () => {
    assert.equal(token.matches('s3cret-token'), true);
    assert.equal(token.matches('s3cret-tokeN'), false);
    assert.equal(token.matches('s3cret'), false);
    assert.equal(token.matches('s3cret-token-and-more'), false);
    assert.equal(token.matches(''), false);
    assert.equal(token.matches(undefined), false);
  });

  test('authorizes an Authorization header', () => {
    assert.equal(token.authorizes('Bearer s3cret-token'), true);
    assert.equal(token.authorizes('Bearer wrong'), false);
    assert.equal(token.authorizes('Basic s3cret-token'), false);
    assert.equal(token.authorizes(undefined), false);
  });

  test('never shows the token', () => {
    for (const shown of [String(token), JSON.stringify({ token }), inspect(token), `${token}`]) {
      assert.ok(!shown.includes('s3cret'), shown);
    }
  });

  test('an empty token is refused', () => {
    assert.throws(() => new BearerToken(''), TypeError);
  });
});
