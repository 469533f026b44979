import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { ROTATION_STEPS, type RotationStep } from './signing-key.store';

export class TrustedKeyView {
  @ApiProperty({ example: '3f1c0a9e5b7d2c41', description: 'first 16 hex digits of sha256(DER SubjectPublicKeyInfo)' }) keyId!: string;
  @ApiProperty({ enum: ['ed25519'] }) algorithm!: 'ed25519';
  @ApiProperty() publicKeyPem!: string;
  @ApiPropertyOptional() notAfter?: string;
}

export class KeySetSignatureView {
  @ApiProperty() keyId!: string;
  @ApiProperty({ description: 'Ed25519 over JCS({keys, issuedAt}), base64' }) signature!: string;
}

export class TrustedKeySetView {
  @ApiProperty({ type: [TrustedKeyView] }) keys!: TrustedKeyView[];
  @ApiProperty() issuedAt!: string;
  @ApiProperty({ type: [KeySetSignatureView], description: 'one per key whose private half the control plane holds' }) signatures!: KeySetSignatureView[];
}

export class RotateKeysDto {
  @ApiProperty({ enum: ROTATION_STEPS, description: 'stage a next key → activate it (it signs, the old one stays trusted) → retire the old one' })
  @IsIn(ROTATION_STEPS)
  step!: RotationStep;
}

export class RotateKeysView {
  @ApiProperty({ type: [TrustedKeyView], description: 'the trusted set after the step' }) keys!: TrustedKeyView[];
}
