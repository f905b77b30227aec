"""What pages, the explorer and the API show, decided from the store as plain values: a resource's description
(`describe`), entity search and summaries (`entities`), page models (`pages`), the explorer's views
(`explorer`) and the query page's examples (`examples`). No HTML here: api/ renders these."""
