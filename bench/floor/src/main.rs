//! `stop-floor SOCKET ID...`: stops every container at once, each on a
//! connection of its own, then inspects it on that connection, and prints
//! its id and the inspect's size. The floor of `scripts/stop_all.lua`'s
//! requests, without anything else.

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1;
use hyper::Request;
use hyper_util::rt::TokioIo;

type Sender = http1::SendRequest<Empty<Bytes>>;

async fn call(tx: &mut Sender, method: &str, path: String) -> Result<Bytes, Box<dyn std::error::Error>> {
    tx.ready().await?;
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "docker")
        .body(Empty::new())?;
    let answer = tx.send_request(req).await?;
    Ok(answer.into_body().collect().await?.to_bytes())
}

async fn stop_then_inspect(socket: String, id: String) -> Result<(), Box<dyn std::error::Error>> {
    let stream = tokio::net::UnixStream::connect(&socket).await?;
    let (mut tx, connection) = http1::handshake(TokioIo::new(stream)).await?;
    tokio::task::spawn_local(connection);
    call(&mut tx, "POST", format!("/v1.41/containers/{id}/stop")).await?;
    let inspect = call(&mut tx, "GET", format!("/v1.41/containers/{id}/json")).await?;
    println!("{id} {}", inspect.len());
    Ok(())
}

fn main() {
    let mut args = std::env::args().skip(1);
    let socket = args.next().expect("usage: stop-floor SOCKET ID...");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .expect("a runtime");
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async move {
        let calls: Vec<_> = args
            .map(|id| tokio::task::spawn_local(stop_then_inspect(socket.clone(), id)))
            .collect();
        for call in calls {
            if let Err(e) = call.await.expect("a call") {
                eprintln!("stop-floor: {e}");
                std::process::exit(1);
            }
        }
    });
}
