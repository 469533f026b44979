import { ArrayMaxSize, IsArray, IsString, Matches, MaxLength, MinLength } from 'class-validator';

/**
 * The rules for a device's name and tags, whichever door the device comes through (REST create/update, MQTT
 * hello): one definition, applied by the decorators below.
 */
export const DEVICE_TAG_PATTERN = /^[A-Za-z0-9._:/-]{1,64}$/;
export const DEVICE_TAG_MESSAGE = 'each tag must be 1-64 characters of A-Z a-z 0-9 . _ : / -';
export const MAX_DEVICE_TAGS = 32;
export const MAX_DEVICE_NAME_LENGTH = 128;
/** Printable: no control characters (C0, DEL, C1) and no line or paragraph separators. */
const PRINTABLE = /^[^\p{Cc}\p{Zl}\p{Zp}]*$/u;

const compose = (...decorators: PropertyDecorator[]): PropertyDecorator => (target, key) => {
  for (const d of decorators) d(target, key);
};

/** A device's display name: 1-128 printable characters (letters of any script and emoji are fine). */
export const IsDeviceName = (): PropertyDecorator => compose(
  IsString(),
  MinLength(1, { message: 'name must not be empty' }),
  MaxLength(MAX_DEVICE_NAME_LENGTH),
  Matches(PRINTABLE, { message: 'name must not contain control characters' }),
);

/** A device's tag list: at most 32 tags of DEVICE_TAG_PATTERN. */
export const IsDeviceTags = (): PropertyDecorator => compose(
  IsArray(),
  ArrayMaxSize(MAX_DEVICE_TAGS),
  Matches(DEVICE_TAG_PATTERN, { each: true, message: DEVICE_TAG_MESSAGE }),
);
