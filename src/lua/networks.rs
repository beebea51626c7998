//! `docker.networks` and the `Network` object, on the resource model:
//! `create` and the connect/disconnect methods are all this kind adds.

use mlua::{Lua, MultiValue, Table, UserDataFields, Value};
use serde_json::{json, Map, Value as Json};

use super::args::{self, Opts};
use super::containers::Container;
use super::error;
use super::fields::{self, Field};
use super::handle::{bound, Handle};
use super::resource::{self, AsyncMethods, ListOpt, Methods, Model, Object};
use crate::engine::options::types::{endpoint_config as endpoint, ENDPOINT_FIELDS};
use crate::engine::resource::{Kind, NETWORKS};
use crate::engine::Query;

/// Puts `docker.networks` on a client table.
pub fn register(lua: &Lua, handle: &Handle, client: &Table) -> mlua::Result<()> {
    resource::register::<Network>(lua, handle, client)
}

pub struct Network;

impl Model for Network {
    const NAME: &'static str = "Network";
    const COLLECTION: &'static str = "NetworkCollection";
    const KIND: &'static Kind = &NETWORKS;
    const MEMBERS: &'static [&'static str] = &["containers", "connect", "disconnect"];
    const LIST: &'static [ListOpt] = &[
        ListOpt::Filter("names", "name"),
        ListOpt::Filter("ids", "id"),
        // One request, unless `greedy`: `containers` is filled by an
        // inspect of each network, as the Python SDK does.
        ListOpt::Inspect("greedy"),
    ];
    const PRUNE: bool = true;

    fn fields<F: UserDataFields<Object<Self>>>(fields: &mut F) {
        // The containers attached, as the last inspect lists them: each a
        // Container with its id and name (`reload()` it for the rest).
        fields.add_field_method_get("containers", |lua, this| {
            let out = lua.create_table()?;
            if let Some(map) = this.attrs().get("Containers").and_then(Json::as_object) {
                for (id, info) in map {
                    let name = info.get("Name").cloned().unwrap_or(Json::Null);
                    let attrs = json!({ "Id": id, "Name": name });
                    out.raw_push(resource::object::<Container>(lua, &this.handle, attrs)?)?;
                }
            }
            Ok(out)
        });
    }

    fn methods(methods: &mut Methods<Self>) {
        methods.add_lazy_async_method(
            "connect",
            |_, this, (container, opts): (Value, Value)| async move {
                const F: &str = "Network:connect";
                let id = resource::id_of::<Container>(F, "container", &container)?;
                let endpoint = endpoint_config(F, opts)?;
                let body = json!({ "Container": id, "EndpointConfig": endpoint });
                let engine = this.handle.engine()?;
                engine
                    .act_with(&NETWORKS, &this.id, "/connect", Query::new(), &body)
                    .await
                    .map_err(error::engine)?;
                this.reload().await
            },
        );
        methods.add_lazy_async_method(
            "disconnect",
            |_, this, (container, opts): (Value, Value)| async move {
                const F: &str = "Network:disconnect";
                let id = resource::id_of::<Container>(F, "container", &container)?;
                let opts = Opts::new(F, opts, &["force"])?;
                let body = json!({ "Container": id, "Force": opts.flag("force")? });
                let engine = this.handle.engine()?;
                engine
                    .act_with(&NETWORKS, &this.id, "/disconnect", Query::new(), &body)
                    .await
                    .map_err(error::engine)?;
                this.reload().await
            },
        );
    }

    fn collection(lua: &Lua, handle: &Handle, t: &Table) -> mlua::Result<()> {
        t.raw_set("create", bound(lua, handle, Self::COLLECTION, create)?)
    }
}

const IPAM_POOL: &[Field] = &[
    Field::Plain("subnet", "Subnet"),
    Field::Plain("gateway", "Gateway"),
    Field::Plain("iprange", "IPRange"),
    Field::Plain("ip_range", "IPRange"),
    Field::Plain("aux_addresses", "AuxiliaryAddresses"),
];

const IPAM: &[Field] = &[
    Field::Plain("driver", "Driver"),
    Field::Plain("options", "Options"),
    Field::Array("config", "Config", IPAM_POOL),
    Field::Array("pool_configs", "Config", IPAM_POOL),
];

async fn create(lua: Lua, h: Handle, args: MultiValue) -> mlua::Result<Value> {
    const F: &str = "networks.create";
    let mut args = args.into_iter();
    let name = args::string(F, "name", &args.next().unwrap_or(Value::Nil))?;
    let opts = Opts::new(
        F,
        args.next().unwrap_or(Value::Nil),
        &[
            "driver",
            "options",
            "ipam",
            "internal",
            "attachable",
            "ingress",
            "enable_ipv6",
            "labels",
            "scope",
            "check_duplicate",
        ],
    )?;
    let mut body = Map::new();
    body.insert("Name".into(), json!(name));
    body.insert(
        "CheckDuplicate".into(),
        json!(opts.bool("check_duplicate")?.unwrap_or(true)),
    );
    for (opt, field) in [("driver", "Driver"), ("scope", "Scope")] {
        if let Some(v) = opts.string(opt)? {
            body.insert(field.into(), json!(v));
        }
    }
    for (opt, field) in [
        ("internal", "Internal"),
        ("attachable", "Attachable"),
        ("ingress", "Ingress"),
        ("enable_ipv6", "EnableIPv6"),
    ] {
        if let Some(v) = opts.bool(opt)? {
            body.insert(field.into(), json!(v));
        }
    }
    if let Some(t) = opts.table("options")? {
        body.insert("Options".into(), fields::string_map(F, "options", &t)?);
    }
    if let Some(t) = opts.table("labels")? {
        body.insert(
            "Labels".into(),
            fields::labels(F, "labels", &Value::Table(t))?,
        );
    }
    let ipam = opts.raw("ipam")?;
    if !ipam.is_nil() {
        body.insert("IPAM".into(), fields::object(F, "ipam", &ipam, IPAM)?);
    }
    let engine = h.engine()?;
    let answer = engine
        .create(&NETWORKS, Query::new(), &Json::Object(body))
        .await
        .map_err(error::engine)?;
    let id = Network::id(&answer);
    resource::fetch::<Network>(&lua, &h, &id).await
}

/// `{aliases =, links =, ipv4_address =, ipv6_address =, link_local_ips =,
/// driver_opt =, mac_address =}` (or the engine's `EndpointSettings`
/// spelling) to an `EndpointConfig`, read by the engine layer's model.
pub fn endpoint_config(function: &'static str, opts: Value) -> mlua::Result<Json> {
    // Unknown names as every options table reports them (did you mean...).
    let names: Vec<&str> = ENDPOINT_FIELDS.iter().flat_map(|(s, e)| [*s, *e]).collect();
    Opts::new(function, opts.clone(), &names)?;
    fields::model(function, "opts", &opts, endpoint)
}
