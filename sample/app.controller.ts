import { Controller, Get, UseGuards } from '@nestjs/common';
import { CognitoGuard, CognitoUser, Groups, Public, type CognitoJwtPayload } from '../src';

@Controller()
@UseGuards(CognitoGuard)
export class AppController {
  @Public()
  @Get()
  hello() {
    return { hello: 'world' };
  }

  @Get('me')
  me(@CognitoUser() user: CognitoJwtPayload) {
    return user;
  }

  @Groups('admin')
  @Get('admin')
  admin(@CognitoUser('sub') sub: string) {
    return { admin: sub };
  }
}
