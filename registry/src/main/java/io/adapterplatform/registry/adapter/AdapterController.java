package io.adapterplatform.registry.adapter;

import io.adapterplatform.registry.auth.Caller;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

@RestController
class AdapterController {

  private final AdapterService adapters;

  AdapterController(AdapterService adapters) {
    this.adapters = adapters;
  }

  @PostMapping(path = "/api/v1/adapters", consumes = "application/json", produces = "application/json")
  @ResponseStatus(HttpStatus.CREATED)
  Adapters.Adapter createAdapter(Caller caller, @RequestBody Adapters.CreateAdapterRequest request) {
    return adapters.create(caller, request);
  }

  @GetMapping(path = "/api/v1/adapters", produces = "application/json")
  Adapters.AdapterPage listAdapters(Caller caller, @RequestParam(required = false) Integer limit,
      @RequestParam(required = false) String cursor, @RequestParam(required = false) String baseModel,
      @RequestParam(required = false) Adapters.AdapterKind kind, @RequestParam(required = false) String label) {
    return adapters.list(caller, limit, cursor, baseModel, kind, label);
  }

  @GetMapping(path = "/api/v1/adapters/{name}", produces = "application/json")
  Adapters.Adapter getAdapter(Caller caller, @PathVariable String name) {
    return adapters.get(caller, name);
  }
}
