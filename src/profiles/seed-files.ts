/**
 * Seed profiles in config/profiles/*.yaml: one profile per file, with the rules that select it.
 *
 *   id: northwind-standard          # the profile's key (lower-case, digits, "-")
 *   description: ...                # optional
 *   parameters: { ... }             # a parameter set (schema.ts)
 *   rules: [ { priority: 1000 } ]   # selection rules (rules.ts) without profileId
 *
 * Validating only: provisioning/seeds.ts reads the files, the repository puts the seeds in the store.
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ProfileError } from './errors.ts';
import { seedRuleSchema, type ProfileRule } from './rules.ts';
import { profileParametersSchema, type ProfileParameters } from './schema.ts';
import { describeIssues, requiredFieldErrors, toValidationIssues } from './validation.ts';

export const PROFILE_KEY = /^[a-z0-9][a-z0-9-]{0,63}$/;

export const profileSeedSchema = z.strictObject({
  id: z.string().regex(PROFILE_KEY, 'must be lower-case letters, digits and "-" (at most 64)'),
  description: z.string().optional(),
  parameters: profileParametersSchema,
  rules: z.array(seedRuleSchema).default([]),
});

export interface ProfileSeed {
  id: string;
  description?: string;
  parameters: ProfileParameters;
  rules: ProfileRule[];
  /** The file it came from (for messages). */
  source: string;
}

/** Validates one seed document; throws ProfileError('PROFILE_INVALID') naming the source and every bad field. */
export function parseProfileSeed(input: unknown, source: string): ProfileSeed {
  const result = profileSeedSchema.safeParse(input, { error: requiredFieldErrors });
  if (!result.success) {
    const issues = toValidationIssues(result.error);
    throw new ProfileError('PROFILE_INVALID', `${source}: ${describeIssues(issues, '(file)')}`, {
      source,
      issues,
    });
  }
  const { id, description, parameters, rules } = result.data;
  return {
    id,
    ...(description !== undefined ? { description } : {}),
    parameters,
    rules: rules.map((rule) => ({ ...rule, profileId: id })),
    source,
  };
}

/** A seed file as the seed loader read it (provisioning/seeds.ts). */
export interface SeedFile {
  /** its path, for messages */
  source: string;
  text: string;
}

/**
 * The seeds of the YAML files of config/profiles, in the order given (the loader gives them by file
 * name); throws ProfileError('PROFILE_INVALID') for a file that is not valid YAML or not a valid seed,
 * and for a profile id two files use.
 */
export function parseProfileSeedFiles(files: readonly SeedFile[]): ProfileSeed[] {
  const seen = new Map<string, string>();
  return files.map(({ source, text }) => {
    let document: unknown;
    try {
      document = parseYaml(text);
    } catch (error) {
      throw new ProfileError('PROFILE_INVALID', `${source}: not valid YAML: ${(error as Error).message}`, {
        source,
      });
    }
    const seed = parseProfileSeed(document, source);
    const other = seen.get(seed.id);
    if (other !== undefined) {
      throw new ProfileError(
        'PROFILE_INVALID',
        `${source}: profile id "${seed.id}" is also used by ${other}`,
        {
          source,
        },
      );
    }
    seen.set(seed.id, source);
    return seed;
  });
}
