import { Controller, Get, UseGuards } from '@nestjs/common';
import { CognitoGuard, CognitoUser, Groups, Public } from '../src';

/**
 * Rules set once on the class, for every route, and overridden on a handler: metadata on a handler
 * replaces the same metadata of its class.
 */
@Controller('support')
@UseGuards(CognitoGuard)
@Groups('support', 'admin')
export class SupportController {
  /** The class rule: members of `support` or `admin`. */
  @Get('tickets')
  tickets(@CognitoUser('username') username: string) {
    return { tickets: [], for: username };
  }

  /** Stricter than the class: `admin` only. */
  @Groups('admin')
  @Get('escalations')
  escalations() {
    return { escalations: [] };
  }

  /** Opted out of the class's guard: no token needed. */
  @Public()
  @Get('status')
  status() {
    return { status: 'ok' };
  }
}
