import { Module, type DynamicModule } from '@nestjs/common';
import { CognitoAuthModule, type CognitoAuthModuleOptions } from '../src';
import { AppController } from './app.controller';
import { SupportController } from './support.controller';

/** The sample app, trusting the pool `options` describe. */
@Module({})
export class AppModule {
  static forRoot(options: CognitoAuthModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [CognitoAuthModule.forRoot(options)],
      controllers: [AppController, SupportController],
    };
  }
}
