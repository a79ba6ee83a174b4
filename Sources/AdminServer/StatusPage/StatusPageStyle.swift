/// The page's only stylesheet, inlined so the page needs nothing but the admin port.
enum StatusPageStyle {
    static let css = """
        :root{--ok:#1a7f37;--ok-bg:#dafbe1;--warn:#9a6700;--warn-bg:#fff8c5;--bad:#cf222e;--bad-bg:#ffebe9;
        --muted:#57606a;--line:#d0d7de;--bg:#f6f8fa}
        *{box-sizing:border-box}
        body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI","DejaVu Sans",sans-serif;color:#1f2328;background:var(--bg)}
        header{display:flex;align-items:center;gap:12px;padding:12px 24px;background:#24292f;color:#fff}
        header h1{margin:0;font-size:20px}
        header .meta{color:#c9d1d9}
        main{padding:8px 24px 24px;max-width:1600px}
        section{background:#fff;border:1px solid var(--line);border-radius:6px;padding:12px 16px;margin-top:16px}
        h2{margin:0 0 10px;font-size:16px}
        h3{margin:12px 0 6px;font-size:13px;color:var(--muted)}
        code,pre,.workload,.proxy-name{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12px}
        .meta,.node,.age,.source{color:var(--muted);font-size:12px}
        .empty{color:var(--muted);margin:4px 0}
        .empty.ok{color:var(--ok)}
        .count{display:inline-block;min-width:22px;padding:0 6px;border-radius:10px;background:var(--bg);
        border:1px solid var(--line);font-size:12px;text-align:center}
        .count.bad{background:var(--bad-bg);color:var(--bad);border-color:var(--bad)}
        .tiles{display:flex;flex-wrap:wrap;gap:10px}
        .tile{min-width:130px;padding:8px 12px;border:1px solid var(--line);border-radius:6px;background:var(--bg)}
        .tile .value{display:block;font-size:22px;font-weight:600}
        .tile .label{color:var(--muted);font-size:12px}
        .tile.bad{background:var(--bad-bg);border-color:var(--bad);color:var(--bad)}
        .tile.warn{background:var(--warn-bg);border-color:var(--warn);color:var(--warn)}
        .notice.bad{color:var(--bad)}
        ul{margin:0;padding-left:18px}
        .diagnostic{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12px;margin:2px 0}
        .diagnostic.error{color:var(--bad)}
        .diagnostic.warning{color:var(--warn)}
        table{border-collapse:collapse;width:100%}
        th,td{text-align:left;vertical-align:top;padding:6px 8px;border-bottom:1px solid var(--line)}
        th{font-size:12px;color:var(--muted);font-weight:600}
        td.name{max-width:340px}
        .workload{display:block;font-weight:600;word-break:break-all}
        .node{display:block}
        .badge{display:inline-block;padding:1px 7px;border-radius:10px;font-size:11px;font-weight:700;letter-spacing:.02em;
        background:#eaeef2;color:var(--muted)}
        .badge.ok,.synced .badge{background:var(--ok-bg);color:var(--ok)}
        .badge.bad,.nacked .badge,.nack .badge{background:var(--bad-bg);color:var(--bad)}
        .stale .badge{background:var(--warn-bg);color:var(--warn)}
        .detail{display:block;font-size:12px;color:var(--muted)}
        .detail.error{color:var(--bad);max-width:260px;word-break:break-word}
        td.type{min-width:90px}
        .nack{border-left:4px solid var(--bad);background:#fffafa;padding:8px 12px;margin:8px 0;border-radius:4px}
        .nack-head{margin-bottom:6px}
        .field{margin:4px 0}
        .field .key{display:inline-block;min-width:95px;color:var(--muted);font-size:12px;vertical-align:top}
        pre.error{display:inline-block;margin:0;max-width:calc(100% - 110px);white-space:pre-wrap;word-break:break-word;
        color:var(--bad);background:var(--bad-bg);padding:6px 8px;border-radius:4px}
        ul.sources{display:inline-block;padding-left:16px;margin:0}
        ul.objects{list-style:none;padding:0}
        ul.objects li{white-space:nowrap}
        .action{display:inline-block;min-width:58px;font-size:11px;color:var(--muted)}
        .action.removed{color:var(--bad)}
        .action.added{color:var(--ok)}
        tr.change.converged .summary{color:var(--ok);font-weight:600}
        tr.change.rejected .summary{color:var(--bad);font-weight:600}
        tr.change.pending .summary{color:var(--warn);font-weight:600}
        tr.change.unaffected .summary{color:var(--muted)}
        ul.stragglers{margin-top:4px;font-size:12px}
        .straggler{color:var(--bad)}
        .expiry.ok td{color:var(--ok)}
        .expiry.warn td{color:var(--warn)}
        .expiry.bad td{color:var(--bad)}
        footer{padding:0 24px 24px;color:var(--muted);font-size:12px}
        footer a{color:#0969da;text-decoration:none}
        """
}
