import { z } from 'zod';

/**
 * A UUID as the API accepts it: any letter case, lower-cased before it is used, so one id is one
 * cache key and one lock key however the client spells it.
 */
export const idSchema = z.uuid().transform((id) => id.toLowerCase());
