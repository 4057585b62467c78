import { Module, type DynamicModule } from '@nestjs/common';
import { CognitoAuthModule, type CognitoAuthModuleOptions } from '../src';
import { AppController } from './app.controller';

@Module({})
export class AppModule {
  static forRoot(options: CognitoAuthModuleOptions): DynamicModule {
    return { module: AppModule, imports: [CognitoAuthModule.forRoot(options)], controllers: [AppController] };
  }
}
