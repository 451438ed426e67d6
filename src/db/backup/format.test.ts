import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { type BackupKey, CHUNK_BYTES, decrypting, encrypting, newHeader } from './format.ts';

const key: BackupKey = { kid: 'b1', key: randomBytes(32) };
const header = () =>
  newHeader(
    {
      format: 'pg_dump-custom',
      createdAt: new Date('2026-03-01T02:00:00Z'),
      database: 'amrutam',
      manifest: { installId: null, migrations: [], tables: { users: 1 }, audit: { head: null, unsealed: 0 } },
    },
    key,
  );
/** Streams `data` through a transform in pieces of `piece` bytes (how files and pipes deliver it). */
const through = (data: Buffer, transform: NodeJS.ReadWriteStream, piece = 1000) =>
  buffer(
    Readable.from(
      Array.from({ length: Math.ceil(data.length / piece) }, (_, i) =>
        data.subarray(i * piece, (i + 1) * piece),
      ),
    ).pipe(transform),
  );

describe('encrypted payloads', () => {
  it('round-trip at every length around a chunk boundary', async () => {
    const h = header();
    for (const length of [0, 1, CHUNK_BYTES - 1, CHUNK_BYTES, CHUNK_BYTES + 1, 3 * CHUNK_BYTES]) {
      const plain = randomBytes(length);
      const sealed = await through(plain, encrypting(h, key));
      expect(sealed.length).toBe(length + 16 * Math.max(1, Math.ceil(length / CHUNK_BYTES)));
      expect((await through(sealed, decrypting(h, key))).equals(plain), String(length)).toBe(true);
    }
  });

  it('refuse a file cut at a chunk boundary, extended, with chunks swapped, or under another header', async () => {
    const h = header();
    const plain = randomBytes(3 * CHUNK_BYTES + 10);
    const sealed = await through(plain, encrypting(h, key));
    const record = CHUNK_BYTES + 16;
    const chunk = (i: number) => sealed.subarray(i * record, (i + 1) * record);
    const attempts = {
      cut: sealed.subarray(0, 2 * record),
      extended: Buffer.concat([sealed, randomBytes(20)]),
      swapped: Buffer.concat([chunk(1), chunk(0), sealed.subarray(2 * record)]),
    };
    for (const [what, bytes] of Object.entries(attempts)) {
      await expect(through(bytes, decrypting(h, key)), what).rejects.toThrow(/does not decrypt at chunk/);
    }
    const other = { ...h, createdAt: '2026-03-02T02:00:00.000Z' }; // the manifest or date changed
    await expect(through(sealed, decrypting(other, key))).rejects.toThrow(/does not decrypt at chunk 0/);
    await expect(through(randomBytes(10), decrypting(h, key))).rejects.toThrow(/cut short/);
  });

  it('use a key of their own per file: the same bytes never encrypt the same way', async () => {
    const plain = Buffer.from('the same archive');
    const [one, two] = [header(), header()];
    expect(one.encryption!.salt).not.toBe(two.encryption!.salt);
    expect(
      (await through(plain, encrypting(one, key))).equals(await through(plain, encrypting(two, key))),
    ).toBe(false);
  });
});
