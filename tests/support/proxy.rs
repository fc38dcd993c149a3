//! Loopback proxies a test runs: an HTTP proxy (CONNECT tunnels, and absolute-form requests
//! forwarded as curl's `HTTP_PROXY` sends them) and a SOCKS5 proxy (no authentication).
//! Each logs what it was asked for (`CONNECT host:port`, `GET http://…`), so a test can
//! assert that its request went through it.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

type Log = Arc<Mutex<Vec<String>>>;
type Handler =
    fn(TcpStream, Log) -> std::pin::Pin<Box<dyn Future<Output = std::io::Result<()>> + Send>>;

pub struct Proxy {
    pub addr: SocketAddr,
    log: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    /// What it was asked for so far, in order.
    pub fn log(&self) -> Vec<String> {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn url(&self, scheme: &str) -> String {
        format!("{scheme}://{}", self.addr)
    }

    /// A plain HTTP proxy.
    pub async fn http() -> Proxy {
        Proxy::serve(|conn, log| Box::pin(http_conn(conn, log))).await
    }

    /// A SOCKS5 proxy.
    pub async fn socks5() -> Proxy {
        Proxy::serve(|conn, log| Box::pin(socks_conn(conn, log))).await
    }

    async fn serve(handle: Handler) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy addr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let l = log.clone();
        let task = tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                let l = l.clone();
                tokio::spawn(async move {
                    let _ = handle(conn, l).await;
                });
            }
        });
        Proxy { addr, log, task }
    }
}

fn push(log: &Mutex<Vec<String>>, line: String) {
    log.lock().unwrap_or_else(|p| p.into_inner()).push(line);
}

async fn http_conn(mut conn: TcpStream, log: Arc<Mutex<Vec<String>>>) -> std::io::Result<()> {
    // the request head, byte by byte, so nothing after it is read here
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if conn.read(&mut byte).await? == 0 || head.len() > 64 << 10 {
            return Ok(());
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let line = text.lines().next().unwrap_or_default().to_owned();
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if method == "CONNECT" {
        push(&log, format!("CONNECT {target}"));
        let mut upstream = TcpStream::connect(target).await?;
        conn.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .await?;
        tokio::io::copy_bidirectional(&mut conn, &mut upstream).await?;
        return Ok(());
    }
    // absolute form: `GET http://host:port/path HTTP/1.1`, passed on as it is
    push(&log, format!("{method} {target}"));
    let authority = target
        .strip_prefix("http://")
        .and_then(|r| r.split('/').next())
        .unwrap_or_default()
        .to_owned();
    let mut upstream = TcpStream::connect(&authority).await?;
    upstream.write_all(&head).await?;
    tokio::io::copy_bidirectional(&mut conn, &mut upstream).await?;
    Ok(())
}

async fn socks_conn(mut conn: TcpStream, log: Arc<Mutex<Vec<String>>>) -> std::io::Result<()> {
    let mut hello = [0u8; 2];
    conn.read_exact(&mut hello).await?;
    let mut methods = vec![0u8; hello[1] as usize];
    conn.read_exact(&mut methods).await?;
    conn.write_all(&[5, 0]).await?;
    let mut req = [0u8; 4];
    conn.read_exact(&mut req).await?;
    let host = match req[3] {
        1 => {
            let mut ip = [0u8; 4];
            conn.read_exact(&mut ip).await?;
            std::net::Ipv4Addr::from(ip).to_string()
        }
        3 => {
            let mut len = [0u8; 1];
            conn.read_exact(&mut len).await?;
            let mut name = vec![0u8; len[0] as usize];
            conn.read_exact(&mut name).await?;
            String::from_utf8_lossy(&name).into_owned()
        }
        _ => {
            let mut ip = [0u8; 16];
            conn.read_exact(&mut ip).await?;
            format!("[{}]", std::net::Ipv6Addr::from(ip))
        }
    };
    let mut port = [0u8; 2];
    conn.read_exact(&mut port).await?;
    let target = format!("{host}:{}", u16::from_be_bytes(port));
    push(&log, format!("CONNECT {target}"));
    let mut upstream = TcpStream::connect(&target).await?;
    conn.write_all(&[5, 0, 0, 1, 0, 0, 0, 0, 0, 0]).await?;
    tokio::io::copy_bidirectional(&mut conn, &mut upstream).await?;
    Ok(())
}
