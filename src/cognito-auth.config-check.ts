import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { configWarnings, type CognitoAuthConfig } from './cognito-auth.config';
import { COGNITO_AUTH_CONFIG } from './cognito-auth.constants';

/**
 * Warns at start about options that validate but look wrong (`configWarnings`). A lifecycle hook
 * rather than the options factory, so the warnings go to the logger the application was created with.
 */
@Injectable()
export class CognitoAuthConfigCheck implements OnModuleInit {
  private readonly logger = new Logger('CognitoAuth');

  constructor(@Inject(COGNITO_AUTH_CONFIG) private readonly config: CognitoAuthConfig) {}

  onModuleInit(): void {
    for (const warning of configWarnings(this.config)) this.logger.warn(warning);
  }
}
