// The plan model: one row per canary step, computed with the controller's replica arithmetic
// (controller/replica_math.h) on a Rollout placed at that step, and the Istio router's pure
// transforms applied in the reconciler's order (header/mirror route of the step, then setWeight).
#include "cli/plan.h"

#include <algorithm>
#include <functional>
#include <optional>

#include "controller/replica_math.h"
#include "kube/types.h"
#include "trafficrouting/gatewayapi_transform.h"
#include "trafficrouting/istio_transform.h"
#include "trafficrouting/router.h"

namespace vane::cli {

using nlohmann::json;
namespace tr = vane::trafficrouting;
namespace gw = vane::trafficrouting::gatewayapi;

namespace {

constexpr const char* kStepsPath = "spec.strategy.canary.steps";
constexpr const char* kIstioPath = "spec.strategy.canary.trafficRouting.istio";
constexpr const char* kGatewayPath =
    "spec.strategy.canary.trafficRouting.plugins[\"argoproj-labs/gatewayAPI\"]";

// obj[key] when obj is an object holding key, else null (user input may have any shape).
json at(const json& obj, const char* key) {
  if (!obj.is_object()) return json();
  auto it = obj.find(key);
  return it == obj.end() ? json() : *it;
}

std::string stringAt(const json& obj, const char* key) {
  json v = at(obj, key);
  return v.is_string() ? v.get<std::string>() : "";
}

// One simulated route object: an Istio VirtualService, or a Gateway API route when `route` is set.
struct SimVs {
  tr::IstioVirtualService cfg;
  std::string origin;
  json current;
  std::optional<gw::RouteRef> route;
  std::string kind() const { return route ? gw::kindName(route->kind) : "VirtualService"; }
  std::string name() const { return route ? route->name : cfg.name; }
};

// The simulated route objects (Istio and Gateway API) of one Rollout.
struct IstioSim {
  tr::IstioTrafficRouting cfg;
  tr::istio::Split split;
  gw::GatewayApiTrafficRouting gatewayCfg;
  gw::Split gatewaySplit;
  std::vector<std::string> removeNames;  // step routes then managedRoutes, as the router does
  std::string canaryHost;
  /// The managed routes the steps so far set, in managedRoutes order (the controller's
  /// desiredManagedRoutes); written while the canary has pods.
  std::vector<tr::ManagedRoute> desiredRoutes;
  std::vector<SimVs> vss;
};

std::string stepText(const kube::CanaryStep& s, const json& raw) {
  if (s.setWeight) return "setWeight: " + std::to_string(*s.setWeight);
  if (s.pause) {
    return s.pause->duration ? "pause: " + formatSeconds(*s.pause->duration)
                             : std::string("pause (indefinite)");
  }
  if (s.analysis) {
    std::string names;
    for (const json& t : s.analysis->templates) {
      if (t.is_object()) names += (names.empty() ? "" : ", ") + stringAt(t, "templateName");
    }
    return "analysis: " + names;
  }
  if (s.setCanaryScale) {
    if (s.setCanaryScale->replicas) {
      return "setCanaryScale: replicas " + std::to_string(*s.setCanaryScale->replicas);
    }
    if (s.setCanaryScale->weight) {
      return "setCanaryScale: weight " + std::to_string(*s.setCanaryScale->weight);
    }
    return "setCanaryScale: matchTrafficWeight";
  }
  for (const char* kind : {"setHeaderRoute", "setMirrorRoute", "plugin"}) {
    if (raw.contains(kind) && raw[kind].is_object()) {
      return std::string(kind) + ": " + stringAt(raw[kind], "name");
    }
  }
  if (s.experiment) return "experiment";
  return "(empty step)";
}

std::string waitText(const kube::CanaryStep& s) {
  if (s.pause && !s.pause->duration) return "waits for promotion";
  if (s.analysis) return "analysis";
  if (s.experiment) return "experiment";
  if (s.plugin) return "plugin";
  return "";
}

const PlanObject* findObject(const std::vector<PlanObject>& objects, const std::string& kind,
                             const std::string& ns, const std::string& name) {
  for (const PlanObject& o : objects) {
    if (stringAt(o.object, "kind") != kind) continue;
    const json meta = at(o.object, "metadata");
    if (stringAt(meta, "name") != name) continue;
    const std::string doc_ns = stringAt(meta, "namespace");
    if (!ns.empty() && !doc_ns.empty() && ns != doc_ns) continue;
    return &o;
  }
  return nullptr;
}

Status addIstio(const json& routing, const std::vector<PlanObject>& objects,
                const tr::RouterContext& ctx, IstioSim& sim, std::vector<std::string>& notes) {
  auto cfg = tr::decodeIstioTrafficRouting(routing["istio"], kIstioPath);
  if (!cfg.ok()) return cfg.status();
  sim.cfg = *cfg;
  sim.split = tr::istio::Split::from(ctx, sim.cfg);
  if (sim.cfg.destinationRule) {
    const PlanObject* dr =
        findObject(objects, "DestinationRule", "", sim.cfg.destinationRule->name);
    json host = dr ? at(at(dr->object, "spec"), "host") : json();
    if (host.is_string()) {
      sim.canaryHost = host.get<std::string>();
    } else {
      notes.push_back("DestinationRule '" + sim.cfg.destinationRule->name +
                      "' not given (or has no spec.host): managed routes use host '" +
                      sim.canaryHost + "'");
    }
  }
  for (const tr::IstioVirtualService& vs : sim.cfg.all()) {
    auto [ns, name] = tr::splitVirtualServiceName(vs.name);
    const PlanObject* doc = findObject(objects, "VirtualService", ns, name);
    if (doc == nullptr) {
      notes.push_back("VirtualService '" + vs.name + "' not given: no diff for it");
      continue;
    }
    sim.vss.push_back({vs, doc->origin, doc->object, std::nullopt});
  }
  return Status::ok();
}

// The Gateway API plugin block: the routes it names, as the router would weight them.
Status addGatewayApi(const json& config, const std::vector<PlanObject>& objects,
                     const tr::RouterContext& ctx, IstioSim& sim, std::vector<std::string>& notes) {
  auto cfg = gw::decodeGatewayApiTrafficRouting(config, kGatewayPath);
  if (!cfg.ok()) return cfg.status();
  sim.gatewayCfg = *cfg;
  sim.gatewaySplit.canaryService = ctx.canaryService;
  sim.gatewaySplit.stableService = ctx.stableService;
  sim.gatewaySplit.managedRoutes = ctx.managedRoutes;
  for (const std::string& n : ctx.stepRouteNames) {
    auto& m = sim.gatewaySplit.managedRoutes;
    if (std::find(m.begin(), m.end(), n) == m.end()) m.push_back(n);
  }
  for (const gw::RouteRef& ref : cfg->routes) {
    const PlanObject* doc = findObject(objects, gw::kindName(ref.kind), cfg->namespace_, ref.name);
    if (doc == nullptr) {
      notes.push_back(std::string(gw::kindName(ref.kind)) + " '" + ref.name +
                      "' not given: no diff for it");
      continue;
    }
    sim.vss.push_back({tr::IstioVirtualService{}, doc->origin, doc->object, ref});
  }
  return Status::ok();
}

Result<std::optional<IstioSim>> istioSim(const json& rollout, const kube::CanaryStrategy& canary,
                                         const std::vector<PlanObject>& objects,
                                         std::vector<std::string>& notes) {
  const json& routing = *canary.trafficRouting;
  const bool istio = routing.is_object() && routing.contains("istio");
  const json plugins = routing.is_object() ? at(routing, "plugins") : json();
  const bool gateway = plugins.is_object() && plugins.contains(gw::kPluginName);
  if (!istio && !gateway) {
    notes.push_back(
        "trafficRouting has no istio or Gateway API plugin block: no VirtualService/route diff");
    return std::optional<IstioSim>();
  }
  auto ctx = tr::routerContextFromRollout(rollout, "v1alpha3");
  if (!ctx.ok()) return ctx.status();
  IstioSim sim;
  sim.removeNames = ctx->stepRouteNames;
  sim.removeNames.insert(sim.removeNames.end(), ctx->managedRoutes.begin(),
                         ctx->managedRoutes.end());
  sim.canaryHost = ctx->canaryService;
  if (istio) {
    Status s = addIstio(routing, objects, *ctx, sim, notes);
    if (!s) return s;
  }
  if (gateway) {
    Status s = addGatewayApi(plugins[gw::kPluginName], objects, *ctx, sim, notes);
    if (!s) return s;
  }
  for (const PlanObject& o : objects) {
    const std::string kind = stringAt(o.object, "kind");
    if (kind == "DestinationRule") continue;
    std::string name = stringAt(at(o.object, "metadata"), "name");
    bool used = false;
    for (const SimVs& v : sim.vss) used = used || v.origin == o.origin;
    if (!used) notes.push_back(o.origin + ": " + kind + " '" + name + "' not referenced");
  }
  return std::optional<IstioSim>(std::move(sim));
}

using Transform = std::function<Result<json>(const json& vs, const SimVs& sim)>;

// The object without the Gateway API router's managed-rule record: the diff shows the rules.
json withoutBookkeeping(json obj) {
  if (!obj.is_object() || !obj.contains("metadata") || !obj["metadata"].is_object()) return obj;
  json& md = obj["metadata"];
  if (md.contains("annotations") && md["annotations"].is_object()) {
    md["annotations"].erase(gw::kManagedRulesAnnotation);
    if (md["annotations"].empty()) md.erase("annotations");
  }
  return obj;
}

// Applies the transforms in order to every simulated VirtualService and records the diff.
Status applyStep(IstioSim& sim, const std::vector<Transform>& steps, const std::string& where,
                 const std::string& field, PlanStep& row) {
  for (SimVs& vs : sim.vss) {
    json next = vs.current;
    for (const Transform& t : steps) {
      Result<json> r = Status(Code::kInternal, "unset");
      try {
        r = t(next, vs);
      } catch (const json::exception& e) {
        r = Status(Code::kInvalid, "malformed " + vs.kind() + ": " + e.what());
      }
      if (!r.ok()) {
        return Status(r.status().code(),
                      vs.origin + " (" + vs.kind() + " '" + vs.name() + "') at " + where + ": " +
                          r.status().toString(),
                      field);
      }
      next = std::move(r).value();
    }
    auto lines = diffObjects(withoutBookkeeping(vs.current), withoutBookkeeping(next));
    if (!lines.empty()) row.changes.push_back({vs.name(), std::move(lines), vs.kind()});
    vs.current = std::move(next);
  }
  return Status::ok();
}

Transform weightTransform(const IstioSim& sim, int32_t weight) {
  return [&sim, weight](const json& vs, const SimVs& v) {
    if (v.route) {
      return gw::setWeight(vs, v.route->kind, sim.gatewaySplit, sim.gatewayCfg, weight, {});
    }
    return tr::istio::setWeight(vs, v.cfg, sim.split, weight, {});
  };
}

// A setHeaderRoute/setMirrorRoute step replaces (or, without a match, removes) its route in the
// desired managed routes, kept in managedRoutes order.
Status updateDesiredRoutes(IstioSim& sim, const json& raw, const std::string& path) {
  std::optional<tr::ManagedRoute> route;
  bool adding = false;
  if (raw.contains("setHeaderRoute")) {
    auto r = tr::decodeSetHeaderRoute(raw["setHeaderRoute"], path + ".setHeaderRoute");
    if (!r.ok()) return r.status();
    adding = !r->match.empty();
    route = *r;
  } else if (raw.contains("setMirrorRoute")) {
    auto r = tr::decodeSetMirrorRoute(raw["setMirrorRoute"], path + ".setMirrorRoute");
    if (!r.ok()) return r.status();
    adding = !r->match.empty();
    route = *r;
  }
  if (!route) return Status::ok();
  const std::string name = tr::managedRouteName(*route);
  auto& d = sim.desiredRoutes;
  d.erase(
      std::remove_if(d.begin(), d.end(),
                     [&](const tr::ManagedRoute& r) { return tr::managedRouteName(r) == name; }),
      d.end());
  if (adding) d.push_back(*route);
  const auto& order =
      sim.split.managedRoutes.empty() ? sim.gatewaySplit.managedRoutes : sim.split.managedRoutes;
  const auto rank = [&](const tr::ManagedRoute& r) {
    return std::find(order.begin(), order.end(), tr::managedRouteName(r)) - order.begin();
  };
  std::stable_sort(d.begin(), d.end(),
                   [&](const auto& a, const auto& b) { return rank(a) < rank(b); });
  return Status::ok();
}

// The managed routes as the controller syncs them: the desired ones while the canary has pods,
// none otherwise (held out until it has).
Transform routesTransform(const IstioSim& sim, bool canary_has_pods) {
  std::vector<tr::ManagedRoute> desired;
  if (canary_has_pods) desired = sim.desiredRoutes;
  return [&sim, desired = std::move(desired)](const json& vs, const SimVs& v) {
    if (v.route) {
      return gw::syncManagedRules(vs, v.route->kind, sim.gatewaySplit, desired,
                                  v.route->useHeaderRoutes);
    }
    return tr::istio::syncManagedRoutes(vs, v.cfg, sim.split, desired, sim.removeNames,
                                        sim.canaryHost);
  };
}

controller::CanaryCounts countsAt(const kube::Rollout& r, int32_t weight) {
  if (controller::usesTrafficRouting(r)) {
    kube::TrafficWeights w;
    w.canary.weight = weight;
    w.stable.weight = 100 - weight;
    return controller::trafficRoutedCanaryCounts(r, &w);
  }
  return controller::approximateWeightedCounts(r.spec.replicasOrDefault(), weight,
                                               controller::resolveFenceposts(r).maxSurge);
}

Status addFinalRows(kube::Rollout& r, std::optional<IstioSim>& sim, Plan& plan) {
  const int32_t n = static_cast<int32_t>(r.spec.canary->steps.size());
  PlanStep done;
  done.step = "(all steps done)";
  r.status.currentStepIndex = n;
  done.weight = controller::currentSetWeight(r);
  auto c = countsAt(r, done.weight);
  done.canary = c.canary;
  done.stable = c.stable;
  const PlanStep& last = plan.steps.empty() ? done : plan.steps.back();
  done.cumulativeSeconds = last.cumulativeSeconds;
  done.untimedWaits = last.untimedWaits;
  if (sim) {
    Status s =
        applyStep(*sim, {weightTransform(*sim, done.weight)}, "completion", kStepsPath, done);
    if (!s) return s;
  }
  PlanStep promoted = done;
  promoted.changes.clear();
  promoted.step = "(promoted: new revision is stable)";
  // Fully promoted: both Services select the new pods; traffic goes back to the stable Service
  // and every managed route is removed (argo-rollouts.md 2.1 branch 2, 2.5).
  promoted.weight = 0;
  promoted.canary = 0;
  promoted.stable = r.spec.replicasOrDefault();
  if (sim) {
    std::vector<Transform> t{weightTransform(*sim, 0), [&sim](const json& vs, const SimVs& v) {
                               if (v.route) {
                                 return gw::removeManagedRules(vs, sim->gatewaySplit,
                                                               sim->removeNames);
                               }
                               return Result<json>(tr::istio::removeRoutes(vs, sim->removeNames));
                             }};
    Status s = applyStep(*sim, t, "promotion", kStepsPath, promoted);
    if (!s) return s;
  }
  plan.steps.push_back(std::move(done));
  plan.steps.push_back(std::move(promoted));
  return Status::ok();
}

Status addStepRow(kube::Rollout& r, const json& raw, int32_t i, std::optional<IstioSim>& sim,
                  Plan& plan) {
  const kube::CanaryStep& s = r.spec.canary->steps[i];
  const std::string path = std::string(kStepsPath) + "[" + std::to_string(i) + "]";
  PlanStep row;
  row.index = i;
  row.step = stepText(s, raw);
  row.wait = waitText(s);
  r.status.currentStepIndex = i;
  row.weight = controller::currentSetWeight(r);
  auto c = countsAt(r, row.weight);
  row.canary = c.canary;
  row.stable = c.stable;
  const PlanStep* prev = plan.steps.empty() ? nullptr : &plan.steps.back();
  row.cumulativeSeconds = (prev ? prev->cumulativeSeconds : 0) +
                          (s.pause && s.pause->duration ? *s.pause->duration : 0);
  row.untimedWaits = (prev ? prev->untimedWaits : 0) + (row.wait.empty() ? 0 : 1);
  if (sim) {
    if (Status u = updateDesiredRoutes(*sim, raw, path); !u) return u;
    std::vector<Transform> t{routesTransform(*sim, row.canary > 0),
                             weightTransform(*sim, row.weight)};
    Status st =
        applyStep(*sim, t, "steps[" + std::to_string(i) + "] (" + row.step + ")", path, row);
    if (!st) return st;
  }
  plan.steps.push_back(std::move(row));
  return Status::ok();
}

}  // namespace

Result<Plan> buildPlan(const json& rollout, const std::vector<PlanObject>& istio_objects) {
  auto decoded = kube::decodeRollout(rollout);
  if (!decoded.ok()) return decoded.status();
  kube::Rollout r = std::move(decoded).value();
  if (!r.spec.canary) {
    return Status(Code::kInvalid, "plan supports the canary strategy only", "spec.strategy.canary");
  }
  Plan plan;
  plan.name = r.metadata.name;
  plan.namespace_ = r.metadata.namespace_.empty() ? "default" : r.metadata.namespace_;
  plan.replicas = r.spec.replicasOrDefault();
  plan.trafficRouting = controller::usesTrafficRouting(r);
  // A Rollout in the middle of an update: the canary is not the stable revision.
  r.status = kube::RolloutStatus{};
  r.status.currentPodHash = "canary";
  r.status.stableRS = "stable";
  std::optional<IstioSim> sim;
  if (plan.trafficRouting) {
    auto s = istioSim(rollout, *r.spec.canary, istio_objects, plan.notes);
    if (!s.ok()) return s.status();
    sim = std::move(s).value();
  }
  const json& raw_steps = r.spec.canary->stepsRaw;
  for (int32_t i = 0; i < static_cast<int32_t>(r.spec.canary->steps.size()); ++i) {
    const json raw = raw_steps.is_array() && i < static_cast<int32_t>(raw_steps.size())
                         ? raw_steps[i]
                         : json::object();
    if (r.spec.canary->steps[i].setCanaryScale && !plan.trafficRouting) {
      plan.notes.push_back("steps[" + std::to_string(i) +
                           "]: setCanaryScale has no effect without trafficRouting");
    }
    Status s = addStepRow(r, raw, i, sim, plan);
    if (!s) return s;
  }
  Status s = addFinalRows(r, sim, plan);
  if (!s) return s;
  return plan;
}

}  // namespace vane::cli
