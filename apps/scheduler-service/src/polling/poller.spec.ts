import { itemsOf } from './poller';

describe('itemsOf', () => {
  it('reads the array at a dotted path, or the answer itself', () => {
    expect(itemsOf({ data: { items: [{ id: 1 }] } }, 'data.items')).toEqual([{ id: 1 }]);
    expect(itemsOf([{ id: 'a' }], undefined)).toEqual([{ id: 'a' }]);
  });

  it('names the path when there is no array there', () => {
    expect(() => itemsOf({ data: {} }, 'data.items')).toThrow('the answer has no array at data.items');
    expect(() => itemsOf({ items: 'x' }, undefined)).toThrow('the answer has no array at its top level');
  });
});
