import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DecisionMemory } from '../../agent/decision-memory.js';

describe('DecisionMemory', () => {
  test('recalls what it remembered and nothing else', () => {
    const memory = new DecisionMemory<number>();
    assert.equal(memory.limit, 1024);
    memory.remember('a', 1);
    assert.equal(memory.recall('a'), 1);
    assert.equal(memory.recall('b'), undefined);
  });

  test('stays within its limit, forgetting the least recently used first', () => {
    const memory = new DecisionMemory<string>({ limit: 3 });
    for (const id of ['a', 'b', 'c']) memory.remember(id, id.toUpperCase());
    assert.equal(memory.recall('a'), 'A'); // a is now the most recent; b the oldest
    memory.remember('d', 'D');
    assert.equal(memory.size, 3);
    assert.equal(memory.recall('b'), undefined);
    assert.deepEqual(
      ['a', 'c', 'd'].map((id) => memory.recall(id)),
      ['A', 'C', 'D'],
    );
  });

  test('a thousand decisions later the first one is forgotten, memory stays bounded', () => {
    const memory = new DecisionMemory<number>({ limit: 100 });
    for (let i = 0; i < 1000; i++) memory.remember(`d${i}`, i);
    assert.equal(memory.size, 100);
    assert.equal(memory.recall('d0'), undefined);
    assert.equal(memory.recall('d999'), 999);
    assert.equal(memory.recall('d900'), 900);
    assert.equal(memory.recall('d899'), undefined);
  });

  test('remembering an id again replaces its answer without growing', () => {
    const memory = new DecisionMemory<number>({ limit: 2 });
    memory.remember('a', 1);
    memory.remember('a', 2);
    assert.equal(memory.size, 1);
    assert.equal(memory.recall('a'), 2);
  });

  test('the limit must be an integer >= 1', () => {
    for (const limit of [0, -1, 1.5, Number.NaN]) {
      assert.throws(() => new DecisionMemory({ limit }), RangeError);
    }
  });
});
