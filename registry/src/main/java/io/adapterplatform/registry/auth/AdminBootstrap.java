package io.adapterplatform.registry.auth;

import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.stereotype.Component;

/**
 * Makes the bootstrap admin token usable while the context starts (after Flyway, before the web server
 * reports ready), so that the first request after start-up can already use it.
 */
@Component
class AdminBootstrap implements SmartInitializingSingleton {

  private final TokenService tokens;

  AdminBootstrap(TokenService tokens) {
    this.tokens = tokens;
  }

  @Override
  public void afterSingletonsInstantiated() {
    tokens.bootstrapAdmin();
  }
}
