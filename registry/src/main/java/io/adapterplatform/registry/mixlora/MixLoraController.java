package io.adapterplatform.registry.mixlora;

import io.adapterplatform.registry.adapter.Adapters;
import io.adapterplatform.registry.adapter.VersionViews;
import io.adapterplatform.registry.auth.Caller;
import io.swagger.v3.oas.annotations.Operation;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

@RestController
class MixLoraController {

  private final MixLoraService service;
  private final VersionViews views;

  MixLoraController(MixLoraService service, VersionViews views) {
    this.service = service;
    this.views = views;
  }

  /** The JSON form of publishVersion: {@code {"compose": {...}}} (the multipart form uploads files). */
  @PostMapping(path = "/api/v1/adapters/{name}/versions", consumes = "application/json", produces = "application/json")
  @ResponseStatus(HttpStatus.CREATED)
  @Operation(operationId = "publishVersion")
  Adapters.AdapterVersion composeVersion(Caller caller, @PathVariable String name,
      @RequestBody MixLoras.ComposeRequest request) {
    return views.view(service.compose(caller, name, request));
  }

  @GetMapping(path = "/api/v1/adapters/{name}/versions/{ref}/experts", produces = "application/json")
  MixLoras.MixLoraExperts listExperts(Caller caller, @PathVariable String name, @PathVariable String ref) {
    return service.experts(caller, name, ref);
  }
}
