import Fluent
import Vapor
import YiyangDomain

/// Home services for the demo: two providers, each with a dispatcher and a caregiver account
/// (裕华区: demo_provider and demo_caregiver; 长安区: demo_provider2 and demo_caregiver2), a
/// city-wide menu with prices for people on 特困/低保 and the very old, a meal point run by the
/// demo meal-point account, and orders in every state: the coming days, the last three weeks,
/// and a visit in each of the two months before, so statements and return visits have months
/// to work on (`DemoHistory`). The demo family's parent is among the people served.
enum DemoServices {
    static let city = "130100000000"

    static func add(seed: UInt64, app: Application) async throws -> Int {
        let db = app.db
        guard try await ServiceProvider.query(on: db).count() == 0 else { return 0 }
        let today = CalendarDate.today()
        var rng = SplitMix64(seed: seed)
        func uniform() -> Double { Double(rng.next() >> 11) / Double(1 << 53) }

        // The menu, city-wide.
        let menu: [(String, String, ServiceCategory, ServiceUnit, Int, Int, [String: Int], Qualification?)] = [
            ("bathing", "上门助浴", .bathing, .visit, 60, 6_000, ["extreme_poverty": 0, "minimum_living": 2_000, "low_income": 3_000, "age_80": 4_000], .careWorker),
            ("cleaning", "居家保洁", .cleaning, .hour, 60, 4_000, ["extreme_poverty": 0, "minimum_living": 1_000, "age_80": 2_500], nil),
            ("medical_escort", "陪同就医", .medicalEscort, .visit, 120, 5_000, ["extreme_poverty": 0, "minimum_living": 2_000, "age_80": 3_500], .careWorker),
            ("companionship", "陪伴聊天", .companionship, .hour, 60, 3_000, ["living_alone": 1_000, "age_80": 2_000], nil),
            ("rehab_care", "康复护理", .rehabilitation, .visit, 45, 8_000, ["disabled_care": 3_000, "minimum_living": 4_000], .rehabTherapist),
        ]
        var items: [String: ServiceItem] = [:]
        for m in menu {
            let i = ServiceItem()
            i.regionCode = city; i.code = m.0; i.name = m.1; i.category = m.2.rawValue; i.unit = m.3.rawValue; i.standardMinutes = m.4
            i.listPriceFen = m.5; i.tierPricesJSON = ServiceOrders.encode(m.6); i.qualification = m.7?.rawValue; i.balanceAllowed = true
            i.effectiveFrom = "2026-01-01"; i.createdBy = "demo"
            try await i.create(on: db)
            items[m.0] = i
        }
        let prices = Dictionary(uniqueKeysWithValues: menu.map { ($0.0, $0.5) })

        // Two providers, each with a contract for its county and caregivers.
        var providers: [(ServiceProvider, ProviderContract, [Caregiver])] = []
        for (county, name, code) in [("130108000000", "演示·康乐居家养老服务中心", "91130108MA0DEM001B"), ("130102000000", "演示·长安区颐家服务社", "91130102MA0DEM002P")] {
            let p = ServiceProvider()
            p.regionCode = county; p.name = name; p.creditCode = code; p.qualifications = "养老服务机构备案；食品经营许可"; p.contact = "0311-8000000"
            p.active = true; p.createdBy = "demo"
            try await p.create(on: db)
            let c = ProviderContract()
            c.providerID = p.id!; c.regionCode = county; c.pricesJSON = ServiceOrders.encode(prices)
            c.startsOn = today.addingDays(-90).description; c.endsOn = today.addingMonths(12).description; c.createdBy = "demo"
            try await c.create(on: db)
            var carers: [Caregiver] = []
            for (n, carer) in ["演示·护理员", "王慧", "刘建国", "赵小燕"].enumerated() {
                let g = Caregiver()
                g.providerID = p.id!; g.regionCode = county; g.name = county == "130108000000" ? carer : "长安·" + carer; g.phoneMasked = "139****\(1000 + n)"; g.active = true
                if n == 0 {
                    let account = county == "130108000000" ? "demo_caregiver" : "demo_caregiver2"
                    g.userID = try await User.query(on: db).filter(\.$username == account).first()?.id
                }
                try await g.create(on: db)
                let cert = CaregiverCertificate()
                cert.caregiverID = g.id!; cert.regionCode = county; cert.qualification = Qualification.careWorker.rawValue
                cert.number = "HL-\(county.prefix(6))-\(n + 1)"
                // One certificate has lapsed, so the dispatcher sees the refusal.
                cert.validUntil = (n == 3 ? today.addingDays(-20) : today.addingMonths(24)).description
                try await cert.create(on: db)
                carers.append(g)
            }
            providers.append((p, c, carers))
        }
        let dispatchers = ["demo_provider", "demo_provider2"]
        for (username, provider) in zip(dispatchers, providers) {
            guard let dispatcher = try await User.query(on: db).filter(\.$username == username).first() else { continue }
            let a = ServiceAccount()
            a.userID = dispatcher.id!; a.regionCode = dispatcher.regionCode; a.providerID = provider.0.id; a.createdBy = "demo"
            try await a.create(on: db)
        }

        // A meal point with a week of menus, run by the demo meal-point account.
        let point = ServicePoint()
        point.regionCode = "130108001001"; point.kind = ServicePointKind.mealPoint.rawValue; point.name = "裕兴社区长者食堂"
        point.address = "裕兴社区服务中心一楼"; point.latitude = 38.0080; point.longitude = 114.5460; point.capacity = 60; point.hours = "11:00-13:00，17:00-18:30"
        point.active = true; point.createdBy = "demo"
        try await point.create(on: db)
        for (kind, name, region) in [(ServicePointKind.streetCentre, "裕兴街道综合养老服务中心", "130108001000"), (.dayCareStation, "建北社区日间照料站", "130102001001")] {
            let p = ServicePoint()
            p.regionCode = region; p.kind = kind.rawValue; p.name = name; p.address = name; p.capacity = 30; p.hours = "08:00-17:30"; p.active = true; p.createdBy = "demo"
            try await p.create(on: db)
        }
        if let cook = try await User.query(on: db).filter(\.$username == "demo_meal_point").first() {
            let a = ServiceAccount()
            a.userID = cook.id!; a.regionCode = cook.regionCode; a.pointID = point.id; a.createdBy = "demo"
            try await a.create(on: db)
        }
        let dishes = ["红烧肉、清炒时蔬、紫菜蛋花汤、米饭", "清蒸鲈鱼、西红柿炒蛋、冬瓜汤、米饭", "土豆炖牛肉、蒜蓉西兰花、小米粥", "香菇鸡块、醋溜白菜、馒头"]
        for d in -3...3 {
            for (k, meal) in ["lunch", "dinner"].enumerated() {
                let m = MealMenu()
                m.pointID = point.id!; m.regionCode = point.regionCode; m.day = today.addingDays(d).description; m.meal = meal
                m.dishes = dishes[(d + 3 + k) % dishes.count]; m.priceFen = meal == "lunch" ? 1_200 : 1_000; m.createdBy = "demo"
                try await m.create(on: db)
            }
        }

        // Orders: people of both counties, the family's parent first among 长安区's; each has a
        // visit in the coming days or the last three weeks, and one in each of the two months before.
        let parent = try await DemoData.familyParent(on: db)
        var made = 0
        for (index, (p, contract, carers)) in providers.enumerated() {
            var elders = try await Elder.query(on: db).filter(\.$status == ElderStatus.living.rawValue)
                .filter(\.$residenceRegion, .custom("LIKE"), String(p.regionCode.prefix(6)) + "%")
                // By name and birth date (seeded), not id (random), so every demo serves the same people.
                .sort(\.$name).sort(\.$birthDate).sort(\.$id).limit(40).all()
            if let parent, parent.residenceRegion.hasPrefix(String(p.regionCode.prefix(6))) {
                elders = [parent] + elders.filter { $0.id != parent.id }.prefix(39)
            }
            let facts = try await BenefitFacts.of(elders, on: db)
            let dispatcher = dispatchers[index]
            let staff = p.regionCode == "130102000000" ? "demo_county" : "demo_bureau"
            for (n, e) in elders.enumerated() {
                // The home, sealed like the address, a few hundred metres around the centre.
                let home = GeoPoint(latitude: 38.0 + uniform() * 0.05, longitude: 114.5 + uniform() * 0.06)!
                let h = ServiceHome()
                h.elderID = e.id!; h.regionCode = e.residenceRegion; h.updatedBy = "demo"
                h.geoCipher = try app.vault.seal("\(home.latitude),\(home.longitude)")
                try await h.create(on: db)
                let byFamily = e.id == parent?.id
                let item = items[menu[n % 4].0]!
                let recent = n < 8 ? 0 : Int(uniform() * 24) - 20
                let months = [-(28 + Int(uniform() * 28)), -(58 + Int(uniform() * 28))]
                for (k, dayOffset) in ([recent] + months).enumerated() {
                    let day = today.addingDays(dayOffset)
                    let hour = 8 + ((n + k) % 5) * 2
                    guard let start = ChinaTime.startOfDay(day.description)?.addingTimeInterval(Double(hour) * 3600) else { continue }
                    let end = start.addingTimeInterval(Double(item.standardMinutes) * 60)
                    let tiers = facts[e.id!].map { PriceTiers.of($0, on: day) } ?? []
                    let listFen = contract.prices[item.code] ?? item.listPriceFen
                    let price = PriceTiers.price(listFen: listFen, tierPrices: item.tierPrices, personTiers: tiers)
                    let quote = OrderQuote.make(listFen: listFen, subsidisedFen: price.fen, balanceAvailableFen: 0, balanceAllowed: false)
                    let o = ServiceOrder()
                    o.id = UUID()
                    o.regionCode = e.residenceRegion; o.elderID = e.id!; o.itemID = item.id!
                    o.serviceCode = item.code; o.serviceName = item.name
                    o.standardMinutes = item.standardMinutes; o.providerID = p.id!; o.contractID = contract.id!
                    // Only the linked parent's orders are the family's; the others were placed by the county's staff.
                    o.placedBy = byFamily ? "demo_family" : staff; o.placedVia = byFamily ? "family" : "staff"
                    o.windowStart = start; o.windowEnd = end; o.serviceDay = day.description
                    o.placeKind = "home"; o.placeGeoCipher = h.geoCipher; o.note = ""
                    o.priceTier = price.tier ?? ""; o.listFen = quote.listFen; o.bureauFen = quote.bureauFen
                    o.balanceFen = quote.balanceFen; o.selfPayFen = quote.selfPayFen
                    o.exceptionsJSON = "[]"; o.review = ServiceOrder.Review.none.rawValue
                    o.confirmCodeHash = ServiceOrders.codeHash(ServiceOrders.confirmCode(for: o, secret: app.secret.bytes), order: o)
                    o.changeToken = UUID()
                    let carer = carers[(n + k) % 3]
                    var history = [OrderEvent(at: start.addingTimeInterval(-86_400), by: o.placedBy, status: "placed",
                                              note: quote.plain.zh)]
                    let status: ServiceOrderStatus
                    if dayOffset >= 0 {
                        status = n % 4 == 3 ? .placed : .assigned
                    } else {
                        status = (n + k) % 7 == 0 ? .checkedOut : ((n + k) % 5 == 0 ? .cancelled : .confirmed)
                    }
                    if status != .placed && status != .cancelled {
                        o.caregiverID = carer.id; o.assignedBy = dispatcher
                        history.append(OrderEvent(at: start.addingTimeInterval(-80_000), by: dispatcher, status: "assigned",
                                                  note: "派给护理员 \(carer.name)"))
                    }
                    if status == .checkedOut || status == .confirmed {
                        // Most visits check in at the door; one in seven from 1 km away, which waits for review.
                        let away = status == .checkedOut
                        let at = GeoPoint(latitude: home.latitude + (away ? 0.009 : 0.0004), longitude: home.longitude)!
                        o.checkInAt = start.addingTimeInterval(300); o.checkInLat = at.latitude; o.checkInLng = at.longitude
                        o.checkInByOffice = false
                        o.checkOutAt = end.addingTimeInterval(120); o.checkOutLat = home.latitude; o.checkOutLng = home.longitude
                        let record = VisitRecord(standardMinutes: o.standardMinutes, home: home, checkIn: o.checkInAt, checkInAt: at,
                                                 checkOut: o.checkOutAt, checkOutAt: home)
                        let found = VisitVerification.exceptions(record, rules: .defaults)
                        o.exceptionsJSON = ServiceOrders.encode(found); o.review = found.isEmpty ? "none" : "pending"
                        history.append(OrderEvent(at: o.checkInAt!, by: carer.name, status: "checked_in", note: "签到"))
                        history.append(OrderEvent(at: o.checkOutAt!, by: carer.name, status: "checked_out",
                                                  note: found.isEmpty ? "签退，服务已核验" : "签退（异常待审核）"))
                        // Last months' exceptions were reviewed in their month: the person, called back, said the visit took place.
                        if !found.isEmpty && k > 0 {
                            o.review = ServiceOrder.Review.accepted.rawValue; o.reviewNote = "电话回访老人，确认已上门服务"; o.reviewedBy = staff
                            o.reviewedAt = o.checkOutAt!.addingTimeInterval(2 * 86_400)
                            history.append(OrderEvent(at: o.reviewedAt!, by: staff, status: "reviewed", note: "异常审核通过：\(o.reviewNote!)"))
                        }
                    }
                    if status == .confirmed {
                        // The family confirms its parent's visits; other people read their code to the caregiver at the door.
                        o.confirmedBy = byFamily ? "demo_family" : carer.name; o.confirmedAt = o.checkOutAt!.addingTimeInterval(600)
                        o.rating = 4 + (n + k) % 2
                        history.append(OrderEvent(at: o.confirmedAt!, by: o.confirmedBy!, status: "confirmed",
                                                  note: "确认服务，评分 \(o.rating!) 星"))
                    }
                    if status == .cancelled {
                        o.cancelledBy = o.placedBy; o.cancelledAt = start.addingTimeInterval(-3_600); o.cancelReason = "老人临时去女儿家"
                        history.append(OrderEvent(at: o.cancelledAt!, by: o.placedBy, status: "cancelled", note: "取消：老人临时去女儿家"))
                    }
                    o.status = status.rawValue
                    o.historyJSON = ServiceOrders.encode(history)
                    try await o.create(on: db)
                    if status == .assigned {
                        for b in CaregiverBlocks.blocks(start: start, end: end) {
                            let booking = CaregiverBooking()
                            booking.caregiverID = carer.id!; booking.orderID = o.id!; booking.block = b
                            // Two demo visits may share a caregiver's hour; the demo keeps the first.
                            let taken = try await CaregiverBooking.query(on: db).filter(\.$caregiverID == carer.id!).filter(\.$block == b).count()
                            if taken == 0 {
                                try await booking.create(on: db)
                            }
                        }
                    }
                    made += 1
                }
            }
        }
        return made
    }
}
